# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: /v1/cluster (allow_modules_upload), /v1/nodes, /v1/bdbs; and 8.0 mode."""

import zipfile

import pytest

from tests.contract.helpers import (ARTIFACTS, MEMORY_SIZE, USER_DEFINED, Api, assert_error, bdb_body, build_zip, elf_blob,
                                    metadata)


def test_cluster_defaults_to_uploads_disabled(emulator):
    resp = Api(emulator).get("/v1/cluster")
    assert resp.status_code == 200
    assert resp.json()["allow_modules_upload"] is False


def test_put_cluster_admin_200_and_shared_by_nodes(emulator):
    admin = Api(emulator, "c1-node1")
    resp = admin.put("/v1/cluster", json={"allow_modules_upload": True})
    assert resp.status_code == 200 and resp.json()["allow_modules_upload"] is True
    assert Api(emulator, "c1-node3", "viewer").get("/v1/cluster").json()["allow_modules_upload"] is True


def test_put_cluster_dry_run_changes_nothing(emulator):
    admin = Api(emulator)
    assert admin.put("/v1/cluster?dry_run=true", json={"allow_modules_upload": True}).status_code == 200
    assert admin.get("/v1/cluster").json()["allow_modules_upload"] is False


@pytest.mark.parametrize("body,text", [({"allow_modules_upload": "yes"}, "boolean"), ({"no_such_field": 1}, "no_such_field"),
                                       ([True], "JSON object")])
def test_put_cluster_bad_body_400(api, body, text):
    assert_error(api.put("/v1/cluster", json=body), 400, "invalid_schema", text)


@pytest.mark.parametrize("role", ["cluster_member", "cluster_viewer", "db_member", "db_viewer", "user_manager"])
def test_put_cluster_non_admin_403(shared_emu, role):
    resp = Api(shared_emu, "c1-node1", role).put("/v1/cluster", json={"allow_modules_upload": True})
    assert_error(resp, 403, "insufficient_permissions", "update_cluster")


def test_nodes_fields(shared_emu):
    nodes = Api(shared_emu, "c1-node1", "viewer").get("/v1/nodes").json()
    assert [n["uid"] for n in nodes] == [1, 2, 3]
    first, rhel = nodes[0], nodes[2]
    assert (first["os_family"], first["os_semantic_version"], first["architecture"]) == ("ubuntu", "22.04.4", "x86_64")
    assert first["addr"] == shared_emu.node("c1-node1")["address"]
    assert first["software_version"] == "8.2.0-25" and first["status"] == "active"
    assert (rhel["os_family"], rhel["os_semantic_version"], rhel["os_name"]) == ("rhel", "9.4", "rhel")
    arm = Api(shared_emu, "c2-node1").get("/v1/nodes").json()
    assert len(arm) == 1 and arm[0]["architecture"] == "aarch64"


def test_get_node_by_uid_and_404(shared_emu):
    api = Api(shared_emu)
    assert api.get("/v1/nodes/2").json()["uid"] == 2
    assert_error(api.get("/v1/nodes/9"), 404, "node_not_found")


def test_bdb_create_list_delete(api):
    assert api.post(USER_DEFINED, json=metadata("bdbmod", 10000)).status_code == 200
    assert api.post(USER_DEFINED, json=metadata("bdbmod", 20000)).status_code == 200
    resp = api.post("/v1/bdbs", json=bdb_body("db-latest", [{"module_name": "bdbmod"}, {"module_name": "search"}]))
    assert resp.status_code == 200, resp.text
    bdb = resp.json()
    assert [(e["module_name"], e["semantic_version"]) for e in bdb["module_list"]][0] == ("bdbmod", "2.0.0")
    assert all("module_id" in e and not any(k.startswith("_") for k in e) for e in bdb["module_list"])
    assert bdb["memory_size"] == MEMORY_SIZE and (bdb["redis_version"], bdb["version"]) == ("8.2", "8.2.1")
    listed = [b for b in api.get("/v1/bdbs").json() if b["uid"] == bdb["uid"]]
    assert listed == [bdb]
    assert api.get("/v1/bdbs/%d" % bdb["uid"]).json() == bdb
    assert api.delete("/v1/bdbs/%d" % bdb["uid"]).status_code == 200
    assert_error(api.delete("/v1/bdbs/%d" % bdb["uid"]), 404, "db_not_exist")
    assert_error(api.get("/v1/bdbs/%d" % bdb["uid"]), 404, "db_not_exist")


@pytest.mark.parametrize("entry", [{"module_name": "nope"}, {"module_name": "search", "semantic_version": "0.0.1"}])
def test_bdb_missing_module_406(api, entry):
    mark = api.emu.mark()
    assert_error(api.post("/v1/bdbs", json=bdb_body("db-missing", [entry])), 406, "missing_module", entry["module_name"])
    assert all(b["name"] != "db-missing" for b in api.get("/v1/bdbs").json())
    assert [r["status"] for r in api.emu.writes(mark)] == [406]


@pytest.mark.parametrize("body,code", [
    ({"memory_size": MEMORY_SIZE}, "missing_db_name"),
    ({"name": "", "memory_size": MEMORY_SIZE}, "missing_db_name"),
    ({"name": "no-memory"}, "missing_memory_size"),
    ({"name": "no-memory", "memory_size": None}, "missing_memory_size"),
    ({"name": 5, "memory_size": MEMORY_SIZE}, "invalid_db_name"),
    ({"name": "x", "memory_size": MEMORY_SIZE, "module_list": "search"}, "invalid_schema"),
    ({"name": "x", "memory_size": MEMORY_SIZE, "module_list": [{}]}, "invalid_schema"),
    ({"name": "x", "memory_size": -1}, "invalid_schema"),
    ({"name": "x", "memory_size": "1gb"}, "invalid_schema"),
])
def test_bdb_invalid_parameters_406(api, body, code):
    assert_error(api.post("/v1/bdbs", json=body), 406, code)


@pytest.mark.parametrize("name", ["under_score", "with space", "dot.name", "slash/name", "trailing-newline\n", "ünïcode"])
def test_bdb_name_letters_digits_hyphens_only_406(api, name):
    assert_error(api.post("/v1/bdbs", json=bdb_body(name)), 406, "invalid_db_name", "letters, digits and hyphens")


def test_bdb_name_with_hyphens_and_digits_ok(api):
    resp = api.post("/v1/bdbs", json=bdb_body("Cache-2-eu", memory_size=0))
    assert resp.status_code == 200, resp.text
    assert api.delete("/v1/bdbs/%d" % resp.json()["uid"]).status_code == 200


@pytest.mark.parametrize("body", [[], "text", 5])
def test_bdb_body_not_an_object_400(api, body):
    assert_error(api.post("/v1/bdbs", json=body), 400, "invalid_schema")


def test_bdb_duplicate_name_409(api):
    assert api.post("/v1/bdbs", json=bdb_body("db-dup")).status_code == 200
    assert_error(api.post("/v1/bdbs", json=bdb_body("db-dup")), 409, "db_name_exists")


def test_bdb_roles(shared_emu):
    assert_error(Api(shared_emu, "c1-node1", "viewer").post("/v1/bdbs", json=bdb_body("v")), 403, "insufficient_permissions")
    member = Api(shared_emu, "c1-node1", "db_member")
    uid = member.post("/v1/bdbs", json=bdb_body("db-by-member")).json()["uid"]
    assert Api(shared_emu, "c1-node1", "db_viewer").get("/v1/bdbs").status_code == 200
    assert_error(Api(shared_emu, "c1-node1", "viewer").delete("/v1/bdbs/%d" % uid), 403, "insufficient_permissions")
    assert member.delete("/v1/bdbs/%d" % uid).status_code == 200


def test_software_8_0_mode(emulator_factory, tmp_path):
    emu = emulator_factory(clusters={"c1": 1}, software_version="8.0.10-81")
    admin = Api(emu)
    cluster = admin.get("/v1/cluster").json()
    assert "allow_modules_upload" not in cluster
    assert_error(admin.put("/v1/cluster", json={"allow_modules_upload": True}), 400, "invalid_schema", "allow_modules_upload")
    assert admin.get("/v1/nodes").json()[0]["software_version"] == "8.0.10-81"
    # uploads are always allowed on 8.0
    assert admin.post(USER_DEFINED, json=metadata("eighty")).status_code == 200
    assert admin.upload(build_zip(tmp_path / "e.zip", metadata("eighty"))).status_code == 200
    assert admin.get(ARTIFACTS).json() == [{"module_name": "eighty", "version": 10000, "dependencies": []}]
    # 8.0 builds offer Redis 6.2, 7.2, 7.4 and 8.0 in the captured order, and bundle module versions up to 8.0 (none for 8.2)
    assert [v["redis_version"] for v in admin.get("/v1/nodes").json()[0]["supported_database_versions"] if v["db_type"] == "redis"] == [
        "7.4", "7.2", "6.2", "8.0"]
    bundled = [m for m in admin.get("/v1/modules").json() if m["is_bundled"]]
    assert {m["compatible_redis_version"] for m in bundled} == {"", "6.2", "7.2", "7.4", "8.0"}
    bdb = admin.post("/v1/bdbs", json=bdb_body("on-eighty")).json()
    assert (bdb["redis_version"], bdb["version"]) == ("8.0", "8.0.0")
    assert sorted((e["module_name"], e["semantic_version"]) for e in bdb["module_list"]) == [
        ("ReJSON", "7.99.3"), ("bf", "8.0.1"), ("search", "7.99.91"), ("timeseries", "8.0.2")]


@pytest.mark.parametrize("body,status,code", [
    ({}, 406, "missing_db_name"),                                                               # name before memory_size
    ({"name": "bad_name"}, 406, "invalid_db_name"),                                             # name rule before memory_size
    ({"name": "order-1", "module_list": [{}], "version": "6.2"}, 406, "missing_memory_size"),
    ({"name": "order-1", "memory_size": 1, "module_list": [{}], "version": "6.2"}, 406, "invalid_schema"),
    ({"name": "order-dup", "memory_size": 1, "version": "6.2"}, 406, "invalid_version"),         # before the name conflict
    ({"name": "order-dup", "memory_size": 1, "module_list": [{"module_name": "nope"}]}, 409, "db_name_exists"),
])
def test_bdb_order_of_checks(api, body, status, code):
    if not any(b["name"] == "order-dup" for b in api.get("/v1/bdbs").json()):
        assert api.post("/v1/bdbs", json=bdb_body("order-dup")).status_code == 200
    assert_error(api.post("/v1/bdbs", json=body), status, code)


def test_upload_limit_is_served_settable_and_enforced_only_under_the_fault(emulator_factory, tmp_path):
    emu = emulator_factory(clusters={"c1": 2})
    admin = Api(emu)
    admin.allow_uploads(True)
    assert admin.get("/v1/cluster").json()["module_upload_max_size_mb"] == 40
    big = build_zip(tmp_path / "big.zip", metadata("bigmod"), so=elf_blob(size=3 * 1024 * 1024), compress=zipfile.ZIP_STORED)
    assert admin.put("/v1/cluster", json={"module_upload_max_size_mb": 2}).json()["module_upload_max_size_mb"] == 2
    assert_error(admin.put("/v1/cluster", json={"module_upload_max_size_mb": 0}), 400, "invalid_schema", "positive integer")
    # the setting alone refuses nothing (whether a real server applies it to artifacts is unknown) ...
    assert admin.upload(big).status_code == 200
    emu.fault("c1-node2", "enforce-upload-limit")
    # ... a node under the fault refuses a larger upload before reading it, naming the setting
    assert_error(Api(emu, "c1-node2").upload(big), 400, "module_too_large", "module_upload_max_size_mb = 2")
    small = build_zip(tmp_path / "small.zip", metadata("smallmod"))
    assert Api(emu, "c1-node2").upload(small).status_code == 200
    emu.fault("c1-node2", "enforce-upload-limit", "off")
    assert Api(emu, "c1-node2").upload(big).status_code == 200


def test_no_upload_limit_field_when_served_without_it(emulator_factory):
    emu = emulator_factory(clusters={"c1": 1}, extra_args=["--module-upload-max-size-mb", "0"])
    admin = Api(emu)
    assert "module_upload_max_size_mb" not in admin.get("/v1/cluster").json()
    assert_error(admin.put("/v1/cluster", json={"module_upload_max_size_mb": 10}), 400, "invalid_schema",
                 "module_upload_max_size_mb")


@pytest.mark.parametrize("fields,keys", [("full", ["module_args", "module_id", "module_name", "semantic_version"]),
                                         ("no-semantic-version", ["module_args", "module_id", "module_name"]),
                                         ("name-only", ["module_args", "module_name"])])
def test_bdb_module_fields_option(emulator_factory, fields, keys):
    emu = emulator_factory(clusters={"c1": 1}, extra_args=["--bdb-module-fields", fields])
    admin = Api(emu)
    bdb = admin.post("/v1/bdbs", json=bdb_body("fields-db")).json()
    assert bdb["module_list"] and all(sorted(e) == keys for e in bdb["module_list"])
    assert all(sorted(e) == keys for e in admin.get("/v1/bdbs").json()[0]["module_list"])
