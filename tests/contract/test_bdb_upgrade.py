# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: POST /v1/bdbs/<uid>/upgrade and GET /v1/actions/<uid>.

An upgrade restarts the database on the newest allowed version of each module it uses: a module object
that fits the target Redis version and whose artifact is on every node of the cluster. It answers with
the bdb object and an action_uid; the change lands when the action completes.
"""

import os
import shutil
import time

import pytest

from tests.contract.helpers import USER_DEFINED, Api, assert_error, bdb_body, build_zip, metadata

C1 = ("c1-node1", "c1-node2", "c1-node3")


def deploy(api, tmp_path, name, version, nodes=C1, **fields):
    """The module object, and the artifact on `nodes` (each through its own node API)."""
    meta = metadata(name, version, **fields)
    resp = api.post(USER_DEFINED, json=meta)
    assert resp.status_code == 200, resp.text
    path = build_zip(tmp_path / ("%s-%d.zip" % (name, version)), meta)
    for node in nodes:
        assert Api(api.emu, node).upload(path).status_code == 200
    return resp.json()


def create_db(api, name, module, redis_version="8.2"):
    resp = api.post("/v1/bdbs", json=bdb_body(name, [{"module_name": module}], redis_version=redis_version))
    assert resp.status_code == 200, resp.text
    return resp.json()


def versions(bdb, module):
    return [e["semantic_version"] for e in bdb["module_list"] if e["module_name"] == module]


def wait_action(api, action_uid, timeout=20):
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        resp = api.get("/v1/actions/" + action_uid)
        assert resp.status_code == 200, resp.text
        action = resp.json()
        seen.append((action["status"], float(action["progress"])))
        if action["status"] in ("completed", "failed", "aborted", "cancelled"):
            return action, seen
        time.sleep(0.05)
    raise AssertionError("action %s did not finish: %s" % (action_uid, seen))


def test_upgrade_moves_to_the_newest_version_on_every_node_and_keeps_redis(api, tmp_path):
    deploy(api, tmp_path, "upa", 10000)
    bdb = create_db(api, "upa-db", "upa")
    assert versions(bdb, "upa") == ["1.0.0"]
    deploy(api, tmp_path, "upa", 20000)
    deploy(api, tmp_path, "upa", 30000, nodes=C1[:2])   # not on node 3: not allowed
    resp = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2", "preserve_roles": True,
                                                              "parallel_shards_upgrade": 1})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["uid"] == bdb["uid"] and body["action_uid"]
    # the change lands when the action completes
    assert versions(api.get("/v1/bdbs/%d" % bdb["uid"]).json(), "upa") == ["1.0.0"]
    action, seen = wait_action(api, body["action_uid"])
    assert action["status"] == "completed" and action["progress"] == "100"     # a string, as a real server writes it
    assert action["action_uid"] == body["action_uid"] and action["object_name"] == "bdb:%d" % bdb["uid"]
    assert not any(key.startswith("_") for key in action)
    assert seen[-1] == ("completed", 100.0)
    after = api.get("/v1/bdbs/%d" % bdb["uid"]).json()
    assert versions(after, "upa") == ["2.0.0"]
    assert after["redis_version"] == "8.2" and after["status"] == "active"
    # 1.0.0 is no longer in use: its artifact can go
    assert api.delete("/v2/local/modules/user-defined/artifacts/upa/10000").status_code == 200


def test_action_takes_the_configured_time_and_reports_progress(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "upb", 10000)
    bdb = create_db(api, "upb-db", "upb")
    deploy(api, tmp_path, "upb", 20000)
    shared_emu.fault("c1-node1", "action-time", 1.0)
    try:
        start = time.time()
        resp = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
        assert resp.status_code == 200, resp.text
        action, seen = wait_action(api, resp.json()["action_uid"])
        assert time.time() - start >= 1.0
    finally:
        shared_emu.fault("c1-node1", "clear")
    statuses = [s for s, _p in seen]
    assert "active" in statuses and statuses[-1] == "completed"
    progress = [p for s, p in seen if s == "active"]
    assert progress == sorted(progress) and 0 < progress[0] < 100
    # while it ran, a second upgrade was refused; now it is accepted (and changes nothing)
    again = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
    assert again.status_code == 200
    wait_action(api, again.json()["action_uid"])


def test_second_upgrade_while_one_runs_is_409(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "upc", 10000)
    bdb = create_db(api, "upc-db", "upc")
    shared_emu.fault("c1-node1", "action-time", 5)
    try:
        first = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
        assert first.status_code == 200
        assert_error(api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"}), 409, "bdb_busy", "upc-db")
    finally:
        shared_emu.fault("c1-node1", "action-time", 0)
    wait_action(api, first.json()["action_uid"])


def test_fail_upgrade_fault_fails_the_action_and_keeps_the_modules(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "upd", 10000)
    bdb = create_db(api, "upd-db", "upd")
    deploy(api, tmp_path, "upd", 20000)
    shared_emu.fault("c1-node2", "fail-upgrade")
    node2 = Api(shared_emu, "c1-node2")
    resp = node2.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
    assert resp.status_code == 200, resp.text
    action, _seen = wait_action(node2, resp.json()["action_uid"])
    assert action["status"] == "failed" and float(action["progress"]) < 100
    assert action["error_code"] == "upgrade_failed" and "upd-db" in action["error_message"]
    after = api.get("/v1/bdbs/%d" % bdb["uid"]).json()
    assert versions(after, "upd") == ["1.0.0"] and after["status"] == "active"
    # the fault was used up: the next upgrade succeeds
    resp = node2.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
    assert wait_action(node2, resp.json()["action_uid"])[0]["status"] == "completed"
    assert versions(api.get("/v1/bdbs/%d" % bdb["uid"]).json(), "upd") == ["2.0.0"]


def test_dry_run_answers_the_new_bdb_and_changes_nothing(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "upe", 10000)
    bdb = create_db(api, "upe-db", "upe")
    deploy(api, tmp_path, "upe", 20000)
    mark = shared_emu.mark()
    resp = api.post("/v1/bdbs/%d/upgrade?dry_run=true" % bdb["uid"], json={"redis_version": "8.2"})
    assert resp.status_code == 200, resp.text
    assert "action_uid" not in resp.json() and versions(resp.json(), "upe") == ["2.0.0"]
    assert versions(api.get("/v1/bdbs/%d" % bdb["uid"]).json(), "upe") == ["1.0.0"]
    assert [e["status"] for e in shared_emu.requests(mark)] == [200, 200]


def test_without_redis_version_the_newest_redis_is_taken(api, tmp_path):
    deploy(api, tmp_path, "upf", 10000, compatible_redis_version="", min_redis_version="7.0")
    bdb = create_db(api, "upf-db", "upf", redis_version="7.4")
    assert bdb["redis_version"] == "7.4" and versions(bdb, "bf") == []
    resp = api.post("/v1/bdbs/%d/upgrade?dry_run=true" % bdb["uid"], json={})
    assert resp.status_code == 400
    # min_redis_version 7.0 does not fit Redis 8.2: no version of upf for the target
    assert_error(resp, 400, "upgrade_bdb_failed", "Unable to find a version of the module upf")
    keep = api.post("/v1/bdbs/%d/upgrade?dry_run=true" % bdb["uid"], json={"redis_version": "7.4"})
    assert keep.status_code == 200 and keep.json()["redis_version"] == "7.4"


def test_no_allowed_version_is_400(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "upg", 10000)
    bdb = create_db(api, "upg-db", "upg")
    # node 3 lost the artifact in use (rebuilt node)
    shutil.rmtree(os.path.join(shared_emu.state_dir, "nodes", "c1-node3", "artifacts", "upg"))
    body = assert_error(api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"}), 400, "upgrade_bdb_failed",
                        "target redis version 8.2")
    assert "upg-db" in body["description"] and "artifact missing on a node" in body["description"]
    assert versions(api.get("/v1/bdbs/%d" % bdb["uid"]).json(), "upg") == ["1.0.0"]


def test_downgrade_is_406(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "uph", 10000)
    deploy(api, tmp_path, "uph", 20000)
    bdb = create_db(api, "uph-db", "uph")
    assert versions(bdb, "uph") == ["2.0.0"]
    shutil.rmtree(os.path.join(shared_emu.state_dir, "nodes", "c1-node2", "artifacts", "uph", "20000"))
    assert_error(api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"}), 406, "module_downgrade_unsupported",
                 "from 2.0.0 to 1.0.0")


@pytest.mark.parametrize("body, status, code", [
    ([1], 400, "invalid_schema"),
    ({"preserve_roles": "yes"}, 400, "invalid_schema"),
    ({"parallel_shards_upgrade": -1}, 400, "invalid_schema"),
    ({"modules": {}}, 400, "invalid_schema"),
    ({"force_discard": True}, 400, "invalid_schema"),
    ({"redis_version": "eight"}, 400, "invalid_version"),
    ({"redis_version": "6.2"}, 400, "invalid_version"),
])
def test_bad_bodies(api, body, status, code):
    bdb = api.post("/v1/bdbs", json=bdb_body("upi-db-%d" % abs(hash(repr(body)) % 100000))).json()
    assert_error(api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json=body), status, code)


def test_redis_downgrade_is_refused(api):
    bdb = api.post("/v1/bdbs", json=bdb_body("upj-db", redis_version="8.2")).json()
    assert_error(api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.0"}), 400, "invalid_version", "cannot be downgraded")


def test_unknown_database_and_action_are_404(api):
    assert_error(api.post("/v1/bdbs/9999/upgrade", json={"redis_version": "8.2"}), 404, "db_not_exist")
    assert_error(api.get("/v1/actions/no-such-action"), 404, "action_not_exist")


@pytest.mark.parametrize("user, status", [
    ("cluster_member", 200), ("db_member", 200), ("cluster_viewer", 403), ("db_viewer", 403), ("user_manager", 403),
])
def test_permission_update_bdb_with_action(shared_emu, api, user, status):
    bdb = api.post("/v1/bdbs", json=bdb_body("upk-%s" % user.replace("_", "-"))).json()
    resp = Api(shared_emu, "c1-node1", user).post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
    assert resp.status_code == status, resp.text
    if status == 403:
        assert_error(resp, 403, "insufficient_permissions", "update_bdb_with_action")
    else:
        # every role may follow the action
        viewer = Api(shared_emu, "c1-node1", "cluster_viewer")
        assert viewer.get("/v1/actions/" + resp.json()["action_uid"]).status_code == 200


@pytest.mark.parametrize("fault,args,status", [("abort-upgrade", (), "aborted"), ("cancel-upgrade", (), "cancelled"),
                                               ("fail-upgrade", ("shard_restart_failed", "Shard 1 did not restart"), "failed")])
def test_upgrade_outcome_faults_end_the_action_and_keep_the_modules(shared_emu, api, tmp_path, fault, args, status):
    name = "uo" + status[:3]
    deploy(api, tmp_path, name, 10000)
    bdb = create_db(api, name + "-db", name)
    deploy(api, tmp_path, name, 20000)
    shared_emu.fault("c1-node1", fault, *args)
    resp = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
    assert resp.status_code == 200, resp.text
    action, _seen = wait_action(api, resp.json()["action_uid"])
    assert action["status"] == status and isinstance(action["progress"], str) and float(action["progress"]) < 100
    if status == "failed":
        assert (action["error_code"], action["error_message"]) == args
    else:
        assert "error_code" not in action and "error_message" not in action
    after = api.get("/v1/bdbs/%d" % bdb["uid"]).json()
    assert versions(after, name) == ["1.0.0"] and after["status"] == "active"
    # the fault was used up, and the database is free again: the next upgrade completes
    resp = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"})
    assert wait_action(api, resp.json()["action_uid"])[0]["status"] == "completed"


def test_actions_list_is_the_captured_envelope(shared_emu, api, tmp_path):
    deploy(api, tmp_path, "ual", 10000)
    bdb = create_db(api, "ual-db", "ual")
    deploy(api, tmp_path, "ual", 20000)
    uid = api.post("/v1/bdbs/%d/upgrade" % bdb["uid"], json={"redis_version": "8.2"}).json()["action_uid"]
    wait_action(api, uid)
    listing = Api(shared_emu, "c1-node2", "viewer").get("/v1/actions").json()
    assert sorted(listing) == ["actions", "state-machines"]
    action = [a for a in listing["actions"] if a["action_uid"] == uid]
    machine = [m for m in listing["state-machines"] if m["action_uid"] == uid]
    assert len(action) == 1 and action[0]["status"] == "completed" and action[0]["progress"] == "100"
    assert len(machine) == 1 and machine[0]["object_name"] == "bdb:%d" % bdb["uid"] and isinstance(machine[0]["heartbeat"], int)
