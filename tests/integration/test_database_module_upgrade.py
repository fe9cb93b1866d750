# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_database_module_upgrade through real ansible-playbook runs against the emulator.

The cluster gets hello 1.0.0 (module object and artifact on every node), a database that uses it, then
hello 2.0.0. Every test reads the database's module_list through the REST API and, where nothing may be
written, the emulator's request log.
"""

import json
import os
import shutil
import zipfile

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, "playbooks", "database_module_upgrade.yml")

pytestmark = pytest.mark.slow


def api(emu, method, path, node=None, **kwargs):
    conn = emu.conn(node=node)
    return requests.request(method, conn["url"] + path, auth=(conn["username"], conn["password"]),
                            verify=conn["ca_path"], timeout=30, **kwargs)


def module_json(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        return json.loads(zf.read("module.json").decode("utf-8"))


def repack(src, dest, **fields):
    """A copy of a real test package with module.json fields changed."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(str(dest), "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "module.json":
                meta = json.loads(data.decode("utf-8"))
                meta.update(fields)
                data = json.dumps(meta).encode("utf-8")
            new.writestr(info, data)
    return str(dest)


def deploy(emu, zip_path, nodes=None):
    """The module object, and the artifact on `nodes` (default: every node)."""
    assert api(emu, "PUT", "/v1/cluster", json={"allow_modules_upload": True}).status_code == 200
    resp = api(emu, "POST", "/v2/modules/user-defined", json=module_json(zip_path))
    assert resp.status_code == 200, resp.text
    for node in [n["name"] for n in emu.nodes] if nodes is None else nodes:
        with open(zip_path, "rb") as handle:
            resp = api(emu, "POST", "/v2/local/modules/user-defined/artifacts", node=node,
                       files={"module": ("package.zip", handle, "application/zip")})
        assert resp.status_code == 200, resp.text


def lose_artifact(emu, node, version):
    """What a rebuilt node looks like: the artifact is gone from its disk."""
    shutil.rmtree(os.path.join(emu.state_dir, "nodes", node, "artifacts", "hello", str(version)))


def create_db(emu, name="orders", semver="1.0.0"):
    resp = api(emu, "POST", "/v1/bdbs", json={"name": name, "memory_size": 1 << 20, "redis_version": "8.2",
                                              "module_list": [{"module_name": "hello", "semantic_version": semver}]})
    assert resp.status_code == 200, resp.text
    return resp.json()


def hello_in(emu, uid):
    bdb = api(emu, "GET", "/v1/bdbs/%d" % uid).json()
    return [e["semantic_version"] for e in bdb["module_list"] if e["module_name"] == "hello"]


def calls(entries):
    return [(entry["method"], entry["path"]) for entry in entries]


@pytest.fixture
def cluster(emulator, testmodules):
    """hello 1.0.0 in use by database 'orders', hello 2.0.0 deployed next to it."""
    deploy(emulator, testmodules.v1["path"])
    bdb = create_db(emulator)
    deploy(emulator, testmodules.v2["path"])
    return bdb


@pytest.fixture
def play(ansible_run, emulator, tmp_path):
    counter = [0]

    def run(check=False, diff=False, rc=0, user="admin", verbosity=0, **extra_vars):
        counter[0] += 1
        result_file = tmp_path / ("result%d.json" % counter[0])
        conn = emulator.conn(user=user)
        extra = dict(re_url=conn["url"], re_username=conn["username"], re_password=conn["password"],
                     re_ca_path=conn["ca_path"], result_file=str(result_file))
        extra.update(extra_vars)
        mark = emulator.mark()
        proc = ansible_run(PLAYBOOK, extra_vars=extra, check=check, diff=diff, verbosity=verbosity)
        assert proc.rc == rc, proc
        assert "Traceback" not in proc.output and conn["password"] not in proc.output, proc
        with open(str(result_file)) as handle:
            result = json.load(handle)
        return result, proc, emulator.requests(mark)

    return run


def test_check_apply_reapply(play, emulator, cluster):
    uid = cluster["uid"]
    result, proc, seen = play(check=True, diff=True, upgrade_database="orders")
    assert result["changed"] is True and not result.get("failed"), result
    assert result["upgrades"] == [{"module_name": "hello", "from": "1.0.0", "to": "2.0.0", "from_version": 10000,
                                   "to_version": 20000}]
    assert {"module_name": "hello", "semantic_version": "2.0.0"} in result["module_list"]
    assert '-            "semantic_version": "1.0.0"' in proc.stdout and '+            "semantic_version": "2.0.0"' in proc.stdout, proc
    assert [e for e in seen if e["method"] != "GET"] == []
    # check mode read every node's artifacts (an upgrade was due)
    assert sorted(e["node"] for e in seen if e["path"] == "/v2/local/modules/user-defined/artifacts") == \
        ["c1-node1", "c1-node2", "c1-node3"]
    assert hello_in(emulator, uid) == ["1.0.0"]

    result, _proc, seen = play(upgrade_database="orders", upgrade_preserve_roles=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert calls(e for e in seen if e["method"] != "GET") == [("POST", "/v1/bdbs/%d/upgrade" % uid)]
    assert result["action"]["status"] == "completed" and result["action"]["progress"] == 100.0
    assert result["action"]["progress_log"][-1] == {"status": "completed", "progress": 100.0}
    assert hello_in(emulator, uid) == ["2.0.0"]
    assert api(emulator, "GET", "/v1/bdbs/%d" % uid).json()["redis_version"] == "8.2"

    result, _proc, seen = play(upgrade_database_uid=uid)
    assert result["changed"] is False and result["upgrades"] == [], result
    assert [e for e in seen if e["method"] != "GET"] == []
    assert not any(e["path"].startswith("/v2/local") for e in seen)   # a no-op reads no node
    # 1.0.0 is no longer used: it can now be removed from a node
    assert api(emulator, "DELETE", "/v2/local/modules/user-defined/artifacts/hello/10000").status_code == 200


def test_check_mode_with_server_dry_run(play, emulator, cluster):
    # at -vvv too, the password appears nowhere (the play fixture asserts it)
    result, _proc, seen = play(check=True, verbosity=3, upgrade_database="orders", upgrade_server_dry_run=True)
    assert result["changed"] is True and {"module_name": "hello", "semantic_version": "2.0.0"} in result["module_list"]
    assert calls(e for e in seen if e["method"] != "GET") == [("POST", "/v1/bdbs/%d/upgrade?dry_run=true" % cluster["uid"])]
    assert hello_in(emulator, cluster["uid"]) == ["1.0.0"]


def test_failed_upgrade_reports_the_reason_and_keeps_the_database(play, emulator, cluster):
    emulator.fault("c1-node1", "fail-upgrade")
    result, _proc, _seen = play(upgrade_database="orders")
    assert result.get("failed") and result["changed"] is True, result
    assert "database 'orders'" in result["msg"] and "injected fault" in result["msg"]
    assert "hello 1.0.0 -> 2.0.0" in result["msg"] and "run the task again" in result["msg"]
    assert result["action"]["status"] == "failed"
    assert hello_in(emulator, cluster["uid"]) == ["1.0.0"]
    # the fault is used up: the next run upgrades
    result, _proc, _seen = play(upgrade_database="orders")
    assert result["changed"] is True and not result.get("failed") and hello_in(emulator, cluster["uid"]) == ["2.0.0"]


@pytest.mark.parametrize("fault, args, said", [
    ("abort-upgrade", [], "the upgrade of hello 1.0.0 -> 2.0.0 was aborted"),
    ("cancel-upgrade", [], "the upgrade of hello 1.0.0 -> 2.0.0 was cancelled"),
    ("fail-upgrade", ["shard_restart_failed", "Shard 1 did not restart on node 2"],
     "failed (action"),
])
def test_an_upgrade_that_does_not_complete_fails_at_once_with_the_servers_reason(play, emulator, cluster, fault, args, said):
    """A real server's action object: status failed, aborted or cancelled; error_code and error_message; progress a
    string. The wait (wait_timeout 600 s) ends in the poll that sees the action end."""
    emulator.fault("c1-node1", fault, *args)
    result, _proc, seen = play(upgrade_database="orders", upgrade_wait_timeout=600, upgrade_poll_interval=1)
    assert result.get("failed") and result["changed"] is True, result
    assert said in result["msg"] and "database 'orders'" in result["msg"], result["msg"]
    if args:
        assert "Shard 1 did not restart on node 2 (shard_restart_failed)" in result["msg"]
    else:
        assert "stopped before it completed" in result["msg"]
    status = fault.split("-")[0].replace("fail", "failed").replace("abort", "aborted").replace("cancel", "cancelled")
    assert result["action"]["status"] == status
    assert all(isinstance(step["progress"], float) for step in result["action"]["progress_log"]), result["action"]
    polls = [e for e in seen if e["path"].startswith("/v1/actions/")]
    assert 1 <= len(polls) <= 2, polls              # the action took 0.3 s; polls every 1 s
    assert hello_in(emulator, cluster["uid"]) == ["1.0.0"]


def test_timeout(play, emulator, cluster):
    emulator.fault("c1-node1", "action-time", 30)
    result, _proc, _seen = play(upgrade_database="orders", upgrade_wait_timeout=1)
    assert result.get("failed") and result["changed"] is True, result
    assert "did not finish within 1 s" in result["msg"] and "may still be" in result["msg"]
    assert result["action"]["status"] in ("pending", "active")
    assert hello_in(emulator, cluster["uid"]) == ["1.0.0"]


def test_unknown_database(play, emulator, cluster):
    result, _proc, seen = play(upgrade_database_uid=99)
    assert result.get("failed") and result["status"] == 404 and result["error_code"] == "db_not_exist", result
    assert "check database_uid" in result["msg"]
    result, _proc, seen = play(upgrade_database="nope")
    assert result.get("failed") and "no database named 'nope'" in result["msg"] and "orders" in result["msg"]
    assert [e for e in seen if e["method"] != "GET"] == []


def test_downgrade(play, emulator, testmodules, tmp_path):
    deploy(emulator, testmodules.v1["path"])
    deploy(emulator, testmodules.v2["path"])
    bdb = create_db(emulator, semver="2.0.0")
    v3 = repack(testmodules.v2["path"], tmp_path / "hello-3.0.0.zip", version=30000, semantic_version="3.0.0")
    deploy(emulator, v3, nodes=[])          # the module object only: its uploads did not happen
    lose_artifact(emulator, "c1-node2", 20000)
    # checked by the module: refused before anything is sent
    result, _proc, seen = play(upgrade_database="orders")
    assert result.get("failed") and "downgrade" in result["msg"] and "artifact missing on node 2" in result["msg"], result
    assert "database 'orders'" in result["msg"] and "Nothing was sent." in result["msg"]
    assert [e for e in seen if e["method"] != "GET"] == []
    # unchecked: the server picks 1.0.0 (the only version on every node) and refuses the downgrade
    result, _proc, seen = play(upgrade_database="orders", upgrade_check_artifacts=False)
    assert result.get("failed") and result["status"] == 406 and result["error_code"] == "module_downgrade_unsupported", result
    assert "database 'orders'" in result["msg"] and "upload the package of the version in use" in result["msg"]
    assert result["changed"] is False
    assert hello_in(emulator, bdb["uid"]) == ["2.0.0"]


def test_no_fitting_version(play, emulator, testmodules):
    deploy(emulator, testmodules.v1["path"])
    bdb = create_db(emulator)
    deploy(emulator, testmodules.v2["path"], nodes=["c1-node1", "c1-node2"])
    lose_artifact(emulator, "c1-node3", 10000)
    result, _proc, seen = play(upgrade_database="orders")
    assert result.get("failed") and "no version of hello can be used" in result["msg"], result
    assert "artifact missing on" in result["msg"] and [e for e in seen if e["method"] != "GET"] == []
    result, _proc, seen = play(upgrade_database="orders", upgrade_check_artifacts=False)
    assert result.get("failed") and result["status"] == 400 and result["error_code"] == "upgrade_bdb_failed", result
    assert "database 'orders'" in result["msg"] and "Unable to find a version of the module hello" in result["msg"]
    assert hello_in(emulator, bdb["uid"]) == ["1.0.0"]


def test_a_role_without_update_bdb_with_action(play, emulator, cluster):
    result, _proc, seen = play(upgrade_database="orders", user="viewer")
    assert result.get("failed") and result["status"] == 403, result
    assert "update_bdb_with_action" in result["msg"] and "db_member" in result["msg"]
    assert hello_in(emulator, cluster["uid"]) == ["1.0.0"]


DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
UPGRADE_DATABASES = os.path.join(HERE, "playbooks", "upgrade_path", "upgrade_databases.yml")


def test_upgrade_path_end_to_end(ansible_run, emulator, testmodules):
    """docs/upgrade.md: deploy 2.0.0 next to 1.0.0 in use, upgrade the databases, prune 1.0.0."""
    admin = emulator.admin
    creds = {"module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
             "module_lifecycle_ca_path": emulator.ca_file, "module_lifecycle_allow_uploads": "temporary"}

    def playbook(path, **extra):
        mark = emulator.mark()
        run = ansible_run(path, inventory=emulator.inventory_path, extra_vars=dict(creds, **extra))
        assert "Traceback" not in run.output and admin["password"] not in run.output, run
        run.writes = calls(emulator.writes(mark))
        return run

    assert playbook(DEPLOY, module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}]).rc == 0
    orders = create_db(emulator, "orders")
    create_db(emulator, "billing")
    # 1. the new package next to the old one; pruning now would keep 1.0.0 (in use)
    assert playbook(DEPLOY, module_lifecycle_artifacts=[{"src": testmodules.v2["path"]}]).rc == 0
    # 2. the databases, one at a time
    run = playbook(UPGRADE_DATABASES, upgrade_cluster="c1", upgrade_databases=["orders", "billing"])
    assert run.rc == 0, run
    assert run.writes == [("POST", "/v1/bdbs/1/upgrade"), ("POST", "/v1/bdbs/2/upgrade")], run.writes
    assert "orders: hello 1.0.0 2.0.0" in run.output and "billing: hello 1.0.0 2.0.0" in run.output, run
    assert hello_in(emulator, orders["uid"]) == ["2.0.0"] and hello_in(emulator, 2) == ["2.0.0"]
    again = playbook(UPGRADE_DATABASES, upgrade_cluster="c1", upgrade_databases=["orders", "billing"])
    assert again.rc == 0 and again.writes == [] and "already up to date" in again.output, again
    # 3. prune: 1.0.0 is gone from the cluster and from every node
    run = playbook(DEPLOY, module_lifecycle_artifacts=[{"src": testmodules.v2["path"]}], module_lifecycle_prune=True)
    assert run.rc == 0, run
    mods = [(m["module_name"], m["version"]) for m in api(emulator, "GET", "/v1/modules").json() if not m["is_bundled"]]
    assert mods == [("hello", 20000)]
    for node in emulator.nodes:
        listed = api(emulator, "GET", "/v2/local/modules/user-defined/artifacts", node=node["name"]).json()
        assert [(a["module_name"], a["version"]) for a in listed] == [("hello", 20000)]


def test_upgrade_path_stops_at_the_first_failed_database(ansible_run, emulator, cluster):
    admin = emulator.admin
    create_db(emulator, "billing")
    emulator.fault("c1-node1", "fail-upgrade")
    mark = emulator.mark()
    run = ansible_run(UPGRADE_DATABASES, inventory=emulator.inventory_path, extra_vars={
        "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
        "module_lifecycle_ca_path": emulator.ca_file, "upgrade_cluster": "c1", "upgrade_databases": ["orders", "billing"]})
    assert run.rc != 0 and "database 'orders'" in run.output, run
    assert calls(emulator.writes(mark)) == [("POST", "/v1/bdbs/1/upgrade")]
    assert hello_in(emulator, 1) == ["1.0.0"] and hello_in(emulator, 2) == ["1.0.0"]
