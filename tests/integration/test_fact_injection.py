# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role and the playbooks with ``inject_facts_as_vars`` off (ANSIBLE_INJECT_FACT_VARS=False: a common hardening
setting, and ansible-core's default from 2.24), and on, as every other test runs them.

The whole lifecycle: deploy, a re-run that writes nothing, an upgrade of a database's module with pruning, the
drift report and the removal. ansible_run fails a run that prints a deprecation warning (on 2.20+, the role used to
print the INJECT_FACTS_AS_VARS one at every read of its plan).
"""

import os

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks")
ARROW = u"\u2192"

pytestmark = pytest.mark.slow


def api(emu, method, path, **kwargs):
    conn = emu.conn(node="c1-node1")
    return requests.request(method, conn["url"] + path, auth=(conn["username"], conn["password"]),
                            verify=conn["ca_path"], timeout=30, **kwargs)


@pytest.mark.parametrize("inject", ["False", "True"])
def test_the_lifecycle_with_fact_injection(emulator_factory, ansible_run, testmodules, inject):
    emu = emulator_factory(clusters={"c1": 2})
    admin = emu.admin

    def run(playbook, package, **extra):
        extra_vars = {"module_lifecycle_allow_uploads": "temporary", "module_lifecycle_username": admin["username"],
                      "module_lifecycle_password": admin["password"], "module_lifecycle_ca_path": emu.ca_file,
                      "module_lifecycle_artifacts": [{"src": package}]}
        extra_vars.update(extra)
        mark = emu.mark()
        result = ansible_run(os.path.join(PLAYBOOKS, playbook), inventory=emu.inventory_path, extra_vars=extra_vars,
                             env={"ANSIBLE_INJECT_FACT_VARS": inject})
        assert "is undefined" not in result.output and "Traceback" not in result.output, result
        result.writes = [(e["method"], e["path"]) for e in emu.requests(mark) if e["method"] != "GET"]
        return result

    first = run("deploy.yml", testmodules.v1["path"])
    assert first.rc == 0 and first.writes, first
    again = run("deploy.yml", testmodules.v1["path"])
    assert again.rc == 0 and again.writes == [], (again.writes, again)

    bdb = {"name": "orders", "memory_size": 1 << 20,
           "module_list": [{"module_name": "hello", "semantic_version": "1.0.0"}]}
    created = api(emu, "POST", "/v1/bdbs", json=bdb)
    assert created.status_code == 200, created.text
    up = run("deploy.yml", testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert up.rc == 0 and "db orders: hello 1.0.0 %s 2.0.0" % ARROW in up.output, up
    assert ("POST", "/v1/bdbs/%d/upgrade" % created.json()["uid"]) in up.writes
    hello = sorted(m["semantic_version"] for m in api(emu, "GET", "/v1/modules").json() if m["module_name"] == "hello")
    assert hello == ["2.0.0"]

    status = run("status.yml", testmodules.v2["path"])
    assert status.rc == 0 and "in sync" in status.output and status.writes == [], status

    assert api(emu, "DELETE", "/v1/bdbs/%d" % created.json()["uid"]).status_code == 200
    removed = run("remove.yml", testmodules.v2["path"])
    assert removed.rc == 0 and removed.writes, removed
    assert [m for m in api(emu, "GET", "/v1/modules").json() if m["module_name"] == "hello"] == []
    assert run("remove.yml", testmodules.v2["path"]).writes == []
