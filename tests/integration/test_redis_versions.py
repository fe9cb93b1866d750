# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redis-version fit through ansible-playbook and the emulator.

A package whose compatible_redis_version fits none of the cluster's Redis database versions
(supported_database_versions in GET /v1/nodes) could be uploaded, but no database could ever load it:
the role's preflight and redis_user_module refuse it before anything is written. A package that names
no Redis version at all is deployed, with a warning. Assertions read the emulator's request log and the
cluster's state through its API, and the emulator then shows what a database would get.
"""

import json
import os

import pytest
import requests
from tests.pytest_testmodules import repack

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
USER_MODULE = os.path.join(HERE, "playbooks", "user_module.yml")

pytestmark = pytest.mark.slow


def api(emulator, method, path, node=None, body=None):
    conn = emulator.conn(node=node)
    response = requests.request(method, conn["url"] + path, json=body, auth=(conn["username"], conn["password"]),
                                verify=conn["ca_path"], timeout=30)
    return response


def artifacts_everywhere(emulator):
    out = {}
    for node in emulator.nodes:
        listed = api(emulator, "GET", "/v2/local/modules/user-defined/artifacts", node=node["name"]).json()
        out[node["name"]] = [(a["module_name"], a["version"]) for a in listed]
    return out


def user_modules(emulator):
    return [(m["module_name"], m["version"]) for m in api(emulator, "GET", "/v1/modules").json() if not m["is_bundled"]]


@pytest.fixture
def deploy(ansible_run, emulator):
    def run(src, emu=None, check=False):
        emu = emu or emulator
        admin = emu.admin
        extra = {"module_lifecycle_artifacts": [{"src": src}], "module_lifecycle_allow_uploads": "temporary",
                 "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
                 "module_lifecycle_ca_path": emu.ca_file}
        mark = emu.mark()
        result = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra, check=check)
        result.writes = emu.writes(mark)
        result.requests = emu.requests(mark)
        assert "Traceback" not in result.output and admin["password"] not in result.output, result
        return result
    return run


def test_role_refuses_a_package_no_database_version_could_load(deploy, emulator, testmodules, tmp_path):
    old = repack(testmodules.v1["path"], tmp_path / "hello-1.0.0-redis62.zip", compatible_redis_version="6.2",
                 min_redis_version="6.0")
    run = deploy(old)
    assert run.rc != 0, run
    assert "Nothing was changed." in run.output
    for node in ("c1-node1", "c1-node2", "c1-node3"):
        assert node in run.output
    # ansible-core 2.17 shows the failed result as JSON, where the quotes are escaped
    assert 'compatible_redis_version "6.2", min_redis_version "6.0"' in run.flat_output.replace('\\"', '"'), run
    assert "fits none of the Redis database versions" in run.output and "7.2, 7.4, 8.0, 8.2" in run.output
    # refused in the preflight: not one write, not even the temporary allow_modules_upload switch
    assert run.writes == [], run.writes
    assert any(r["path"] == "/v1/nodes" for r in run.requests)
    assert user_modules(emulator) == []
    assert artifacts_everywhere(emulator) == {"c1-node1": [], "c1-node2": [], "c1-node3": []}
    assert api(emulator, "GET", "/v1/cluster").json()["allow_modules_upload"] is False


def test_role_deploys_a_package_without_version_fields_with_a_warning(deploy, emulator, testmodules, tmp_path):
    bare = repack(testmodules.v1["path"], tmp_path / "hello-1.0.0-bare.zip", compatible_redis_version=None,
                  min_redis_version="")
    run = deploy(bare)
    assert run.rc == 0, run
    assert "[WARNING]" in run.output and "names neither compatible_redis_version nor min_redis_version" in run.flat_output, run
    assert user_modules(emulator) == [("hello", 10000)]
    assert artifacts_everywhere(emulator) == {"c1-node1": [("hello", 10000)], "c1-node2": [("hello", 10000)],
                                              "c1-node3": [("hello", 10000)]}
    # a database can use it at any Redis version the cluster offers (the emulator has nothing to refuse it by)
    resp = api(emulator, "POST", "/v1/bdbs", body={"name": "bare-74", "memory_size": 1 << 20, "version": "7.4",
                                                   "module_list": [{"module_name": "hello"}]})
    assert resp.status_code == 200, resp.text

    # re-run: nothing to do, nothing written, no warning (the module object is not created again)
    again = deploy(bare)
    assert again.rc == 0 and again.writes == [], again.writes
    assert "names neither compatible_redis_version" not in again.output


def test_role_deploys_the_test_module_and_a_database_loads_it(deploy, emulator, testmodules):
    # The project's test package is built for Redis 8.2 (compatible_redis_version "8.2"): it fits the 8.2 databases only.
    run = deploy(testmodules.v1["path"])
    assert run.rc == 0, run
    ok = api(emulator, "POST", "/v1/bdbs", body={"name": "hello-82", "memory_size": 1 << 20, "module_list": [{"module_name": "hello"}]})
    assert ok.status_code == 200, ok.text
    assert [e["module_name"] for e in ok.json()["module_list"]] == ["hello", "timeseries", "search", "bf", "ReJSON"]
    refused = api(emulator, "POST", "/v1/bdbs", body={"name": "hello-80", "memory_size": 1 << 20, "version": "8.0",
                                                      "module_list": [{"module_name": "hello"}]})
    assert refused.status_code == 406 and refused.json()["error_code"] == "redis_incompatible_version"


def test_role_on_an_8_0_cluster_refuses_a_package_built_for_8_2(deploy, emulator_factory, testmodules):
    emu = emulator_factory(clusters={"c1": 2}, software_version="8.0.10-81")
    run = deploy(testmodules.v1["path"], emu=emu)
    assert run.rc != 0 and "Nothing was changed." in run.output, run
    assert "offers (6.2, 7.2, 7.4, 8.0)" in run.output and "offers Redis 8.2" in run.output, run
    assert run.writes == []


def test_redis_user_module_refuses_before_any_write(ansible_run, emulator, testmodules, tmp_path):
    old = repack(testmodules.v1["path"], tmp_path / "hello-1.0.0-redis62.zip", compatible_redis_version="6.2")
    conn = emulator.conn()
    result_file = tmp_path / "result.json"
    extra = dict(re_url=conn["url"], re_username=conn["username"], re_password=conn["password"], re_ca_path=conn["ca_path"],
                 result_file=str(result_file), um_artifact=old, um_allow_uploads=True)
    mark = emulator.mark()
    run = ansible_run(USER_MODULE, extra_vars=extra)
    assert run.rc == 0, run  # the playbook ignores the failure and saves the result
    result = json.loads(result_file.read_text())
    assert result["failed"] is True and "check_redis_version: false" in result["msg"]
    assert result["redis_versions"] == ["7.2", "7.4", "8.0", "8.2"]
    assert emulator.writes(mark) == []
    assert [(r["method"], r["path"]) for r in emulator.requests(mark)] == [("GET", "/v1/modules"), ("GET", "/v1/nodes")]

    # check_redis_version: false registers it anyway; a database then cannot load it, as the check said
    extra["um_check_redis_version"] = False
    mark = emulator.mark()
    run = ansible_run(USER_MODULE, extra_vars=extra)
    result = json.loads(result_file.read_text())
    assert result["changed"] is True, result
    assert [(w["method"], w["path"]) for w in emulator.writes(mark)] == [("PUT", "/v1/cluster"), ("POST", "/v2/modules/user-defined")]
    resp = api(emulator, "POST", "/v1/bdbs", body={"name": "old-db", "memory_size": 1 << 20, "module_list": [{"module_name": "hello"}]})
    assert resp.status_code == 406 and resp.json()["error_code"] == "redis_incompatible_version"
