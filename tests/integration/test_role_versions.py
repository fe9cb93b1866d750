# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role reads the version of an absent item as the modules do, through ansible-playbook and the emulator.

Issue 7: {module_name: hello, version: "10000.0", state: absent} was read as the semantic version
10000.0 (100000000) by the role's Jinja, matched nothing and removed nothing, silently.
"""

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks")

pytestmark = pytest.mark.slow


@pytest.fixture
def play(ansible_run, emulator):
    def run(playbook, artifacts):
        admin = emulator.admin
        extra = {"module_lifecycle_artifacts": artifacts, "module_lifecycle_allow_uploads": "temporary",
                 "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
                 "module_lifecycle_ca_path": emulator.ca_file}
        mark = emulator.mark()
        result = ansible_run(os.path.join(PLAYBOOKS, playbook), inventory=emulator.inventory_path, extra_vars=extra)
        result.writes = emulator.writes(mark)
        return result
    return run


@pytest.mark.parametrize("spelling", ["10000.0", "1.0.0", 10000])
def test_absent_item_spellings_remove_version_10000(play, testmodules, spelling):
    deployed = play("deploy.yml", [{"src": testmodules.v1["path"]}])
    assert deployed.rc == 0, deployed

    removed = play("remove.yml", [{"module_name": "hello", "version": spelling, "state": "absent"}])
    assert removed.rc == 0, removed
    deletes = [(w["method"], w["path"], w["node"]) for w in removed.writes]
    assert deletes[0][0] == "DELETE" and deletes[0][1].startswith("/v2/modules/user-defined/"), deletes
    assert sorted(deletes[1:]) == [("DELETE", "/v2/local/modules/user-defined/artifacts/hello/10000", node)
                                   for node in ("c1-node1", "c1-node2", "c1-node3")], deletes
    assert "hello 1.0.0 (10000): absent" in removed.output or "hello ? (10000): absent" in removed.output, removed


def test_absent_version_listed_nowhere_is_reported(play):
    run = play("remove.yml", [{"module_name": "hello", "version": "3.0.0", "state": "absent"}])
    assert run.rc == 0, run
    assert run.writes == []
    assert "hello 3.0.0 (30000): absent (no module object, no artifact)" in run.output, run
