# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: GET /v1/modules[/<uid>], POST and DELETE /v2/modules/user-defined."""

import re

import pytest

from tests.contract.helpers import DROP, USER_DEFINED, Api, assert_error, bdb_body, metadata


def test_bundled_modules_listed(api):
    resp = api.get("/v1/modules")
    assert resp.status_code == 200
    bundled = {m["module_name"]: m for m in resp.json() if m["is_bundled"]}
    assert set(bundled) == {"search", "ReJSON", "timeseries", "bf"}
    for mod in bundled.values():
        assert isinstance(mod["version"], int)
        assert re.match(r"^[0-9a-f]{32}$", mod["uid"])
        assert "commands" not in mod
        for key in ("author", "capabilities", "semantic_version", "display_name", "min_redis_version", "crdb", "dependencies"):
            assert key in mod


def test_get_module_by_uid(api):
    uid = api.get("/v1/modules").json()[0]["uid"]
    resp = api.get("/v1/modules/" + uid)
    assert resp.status_code == 200 and resp.json()["uid"] == uid


def test_get_module_unknown_uid_404(api):
    assert_error(api.get("/v1/modules/" + "0" * 32), 404, "module_not_found")


def test_create_module_200_float_version_and_extra_fields(api):
    resp = api.post(USER_DEFINED, json=metadata("create1", 10000.0))
    assert resp.status_code == 200, resp.text
    mod = resp.json()
    assert re.match(r"^[0-9a-f]{32}$", mod["uid"])
    assert mod["version"] == 10000 and isinstance(mod["version"], int)
    assert mod["is_bundled"] is False and "commands" not in mod and mod["author"] == "redisops"
    listed = [m for m in api.get("/v1/modules").json() if m["uid"] == mod["uid"]]
    assert listed == [mod]


def test_create_module_shared_by_all_nodes_of_the_cluster_only(api, shared_emu):
    mod = api.post(USER_DEFINED, json=metadata("shared1")).json()
    assert Api(shared_emu, "c1-node2").get("/v1/modules/" + mod["uid"]).status_code == 200
    assert Api(shared_emu, "c2-node1").get("/v1/modules/" + mod["uid"]).status_code == 404


@pytest.mark.parametrize("field", ["module_name", "version", "semantic_version", "display_name", "commands",
                                   "command_line_args", "capabilities", "min_redis_version"])
def test_create_module_missing_field_406(api, field):
    assert_error(api.post(USER_DEFINED, json=metadata("missing", **{field: DROP})), 406, "invalid_module", "'%s'" % field)


@pytest.mark.parametrize("field,value", [("module_name", 5), ("version", "1.0.0"), ("version", [1]), ("version", True),
                                         ("semantic_version", 1), ("commands", "x"), ("capabilities", "types"),
                                         ("capabilities", [1]), ("min_redis_version", 7), ("command_line_args", []),
                                         ("commands", [{"command_arity": 1}])])
def test_create_module_wrong_type_406(api, field, value):
    body = assert_error(api.post(USER_DEFINED, json=metadata("badtype", **{field: value})), 406, "invalid_module")
    assert field in body["description"]


@pytest.mark.parametrize("raw, stored", [("10000", 10000), (10000.0, 10000), ("2e4", 20000)])
def test_create_module_version_read_like_ramp(api, raw, stored):
    """The version rule of RAMP's unpacker, int(float(v)), applies to the posted module.json too."""
    name = "ramp-version-%d" % stored + ("-text" if isinstance(raw, str) else "")
    resp = api.post(USER_DEFINED, json=metadata(name, raw, semantic_version="1.0.0"))
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == stored
    api.delete(USER_DEFINED + "/" + resp.json()["uid"])


@pytest.mark.parametrize("data", [b"", b"{not json", b"[1, 2]"])
def test_create_module_bad_body_406(api, data):
    assert_error(api.post(USER_DEFINED, data=data, headers={"Content-Type": "application/json"}), 406, "invalid_module")


def test_create_module_duplicate_409(api):
    assert api.post(USER_DEFINED, json=metadata("dup1")).status_code == 200
    assert_error(api.post(USER_DEFINED, json=metadata("dup1")), 409, "module_exists", "dup1")
    assert api.post(USER_DEFINED, json=metadata("dup1", 10001)).status_code == 200


def test_create_module_uploads_disabled_403_even_for_admin(api):
    api.allow_uploads(False)
    try:
        assert_error(api.post(USER_DEFINED, json=metadata("disabled1")), 403, "modules_upload_disabled", "allow_modules_upload")
    finally:
        api.allow_uploads(True)


@pytest.mark.usefixtures("api")   # uploads enabled: the role check is what answers
@pytest.mark.parametrize("role", ["cluster_viewer", "db_member", "cluster_member", "db_viewer", "user_manager"])
def test_create_module_non_admin_403(shared_emu, role):
    resp = Api(shared_emu, "c1-node1", role).post(USER_DEFINED, json=metadata("role1"))
    assert_error(resp, 403, "insufficient_permissions", "manage_cluster_modules")


def test_delete_module_200_then_404(api):
    uid = api.post(USER_DEFINED, json=metadata("del1")).json()["uid"]
    resp = api.delete(USER_DEFINED + "/" + uid)
    assert resp.status_code == 200 and resp.content == b""
    assert api.get("/v1/modules/" + uid).status_code == 404
    assert_error(api.delete(USER_DEFINED + "/" + uid), 404, "module_delete_failed")


def test_delete_bundled_module_404(api):
    uid = [m for m in api.get("/v1/modules").json() if m["is_bundled"]][0]["uid"]
    assert_error(api.delete(USER_DEFINED + "/" + uid), 404, "module_delete_failed")


def test_delete_module_in_use_406(api):
    uid = api.post(USER_DEFINED, json=metadata("inuse1")).json()["uid"]
    bdb = api.post("/v1/bdbs", json=bdb_body("inuse-db", [{"module_name": "inuse1", "semantic_version": "1.0.0"}]))
    assert bdb.status_code == 200, bdb.text
    assert_error(api.delete(USER_DEFINED + "/" + uid), 406, "module_in_use", "inuse-db")
    assert api.delete("/v1/bdbs/%d" % bdb.json()["uid"]).status_code == 200
    assert api.delete(USER_DEFINED + "/" + uid).status_code == 200


def test_delete_module_viewer_403(api, shared_emu):
    uid = api.post(USER_DEFINED, json=metadata("del2")).json()["uid"]
    assert_error(Api(shared_emu, "c1-node1", "viewer").delete(USER_DEFINED + "/" + uid), 403, "insufficient_permissions")


@pytest.mark.parametrize("role", ["admin", "cluster_member", "cluster_viewer", "db_member", "db_viewer", "user_manager"])
def test_list_modules_every_role_200(shared_emu, role):
    assert Api(shared_emu, "c1-node2", role).get("/v1/modules").status_code == 200


def test_list_modules_role_none_403(shared_emu):
    assert_error(Api(shared_emu, "c1-node2", "none").get("/v1/modules"), 403, "insufficient_permissions", "view_cluster_modules")
