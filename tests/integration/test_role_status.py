# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/status.yml: an unreadable cluster or node fails the run (issue 10, item 3).

Drift alone stays a report (rc 0): molecule/failures/verify.yml checks that with a node that lacks the artifact.
"""

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
STATUS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "status.yml")

pytestmark = pytest.mark.slow


@pytest.fixture
def status(ansible_run, emulator):
    def run(**extra):
        admin = emulator.admin
        data = {"module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
                "module_lifecycle_ca_path": emulator.ca_file}
        data.update(extra)
        mark = emulator.mark()
        result = ansible_run(STATUS, inventory=emulator.inventory_path, extra_vars=data)
        result.writes = emulator.writes(mark)
        return result
    return run


def test_in_sync_cluster_passes(status, emulator):
    run = status()
    assert run.rc == 0, run
    assert "cluster c1: in sync" in run.output, run
    assert run.writes == []


def test_unreadable_node_fails_naming_it(status, emulator):
    emulator.fault("c1-node2", "down")
    run = status()
    assert run.rc != 0, run
    assert "The status report is incomplete" in run.output, run
    assert "Nodes not read: c1-node2:" in run.output, run
    assert emulator.admin["password"] not in run.output
    assert run.writes == []


def test_wrong_password_fails_naming_cluster_and_nodes(status, emulator):
    run = status(module_lifecycle_password="not-the-password")
    assert run.rc != 0, run
    assert "Module objects not read on cluster(s): c1" in run.output, run
    for node in ("c1-node1", "c1-node2", "c1-node3"):
        assert node + ":" in run.output, run
    assert "not-the-password" not in run.output
