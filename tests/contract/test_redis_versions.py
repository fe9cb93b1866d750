# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: Redis versions. Nodes list supported_database_versions, bundled modules come in several versions,
and POST /v1/bdbs gives each database the module version that fits its Redis version, or refuses."""

import pytest

from tests.contract.helpers import DROP, USER_DEFINED, Api, assert_error, bdb_body, metadata

BUNDLED = ("search", "ReJSON", "bf", "timeseries")


def bundled_by_name(api):
    out = {}
    for mod in api.get("/v1/modules").json():
        if mod["is_bundled"]:
            out.setdefault(mod["module_name"], []).append(mod)
    return out


def picked(bdb):
    return dict((e["module_name"], e["semantic_version"]) for e in bdb["module_list"])


def create(api, name, **extra):
    resp = api.post("/v1/bdbs", json=bdb_body(name, **extra))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_nodes_list_supported_database_versions(shared_emu, api):
    for node in api.get("/v1/nodes").json():
        entries = node["supported_database_versions"]
        redis = [e for e in entries if e["db_type"] == "redis"]
        # in the order of a captured node: the older versions newest first, then (after memcached) the newest
        assert [(e["redis_version"], e["version"]) for e in redis] == [("8.0", "8.0.0"), ("7.4", "7.4.2"), ("7.2", "7.2.7"), ("8.2", "8.2.1")]
        assert all(e["major"] is True for e in redis)
        assert [e["db_type"] for e in entries if e["db_type"] != "redis"] == ["memcached"]


def test_bundled_modules_come_in_four_versions_each(api):
    bundled = bundled_by_name(api)
    assert sorted(bundled) == sorted(BUNDLED)
    for name, versions in bundled.items():
        assert len(versions) == 4, name
        assert len(set(m["version"] for m in versions)) == 4 and len(set(m["uid"] for m in versions)) == 4
        for mod in versions:
            assert isinstance(mod["compatible_redis_version"], str) and isinstance(mod["min_redis_version"], str)
    assert [m["compatible_redis_version"] for m in sorted(bundled["bf"], key=lambda m: m["version"])] == ["7.2", "7.4", "8.0", "8.2"]
    # RediSearch 2.8 names no compatible_redis_version: its min_redis_version (7.1) decides
    search_28 = [m for m in bundled["search"] if m["semantic_version"] == "2.8.26"][0]
    assert (search_28["compatible_redis_version"], search_28["min_redis_version"]) == ("", "7.1")


def test_module_objects_have_no_module_file(api):
    assert api.post(USER_DEFINED, json=metadata("nofile")).status_code == 200
    mods = api.get("/v1/modules").json()
    assert mods and all("module_file" not in m for m in mods)
    uid = [m for m in mods if m["module_name"] == "nofile"][0]["uid"]
    assert "module_file" not in api.get("/v1/modules/" + uid).json()


def test_default_version_is_the_newest_and_redis8_lists_bundled_modules(api):
    bdb = create(api, "rv-default")
    assert (bdb["redis_version"], bdb["version"]) == ("8.2", "8.2.1")
    assert [e["module_name"] for e in bdb["module_list"]] == ["timeseries", "search", "bf", "ReJSON"]
    assert picked(bdb) == {"timeseries": "8.2.0", "search": "8.2.1", "bf": "8.2.0", "ReJSON": "8.2.0"}
    ids = dict((m["uid"], m) for m in api.get("/v1/modules").json())
    assert all(ids[e["module_id"]]["compatible_redis_version"] == "8.2" for e in bdb["module_list"])


@pytest.mark.parametrize("name, body, redis_version, full", [
    ("rv-body-1", {"version": "8.0"}, "8.0", "8.0.0"),
    ("rv-body-2", {"version": "8.0.0"}, "8.0", "8.0.0"),
    ("rv-body-3", {"redis_version": "7.4"}, "7.4", "7.4.2"),
    ("rv-body-4", {"redis_version": "7.2", "version": "7.2.7"}, "7.2", "7.2.7"),
])
def test_version_in_the_body(api, name, body, redis_version, full):
    bdb = create(api, name, **body)
    assert (bdb["redis_version"], bdb["version"]) == (redis_version, full)


@pytest.mark.parametrize("body, text", [
    ({"version": "6.2"}, "Redis 6.2 is not offered by this cluster (supported database versions: 7.2, 7.4, 8.0, 8.2)"),
    ({"redis_version": "9.0"}, "not offered"),
    ({"version": "latest"}, "Redis version"),
    ({"version": 8.2}, "Redis version"),
    ({"redis_version": "7.4", "version": "8.2"}, "different"),
])
def test_unsupported_version_406(api, body, text):
    assert_error(api.post("/v1/bdbs", json=bdb_body("rv-bad", **body)), 406, "invalid_version", text)


@pytest.mark.parametrize("version, expected", [
    # exact compatible_redis_version where there is one; else min_redis_version's major; highest version that fits
    ("7.2", {"search": "2.8.26", "ReJSON": "2.6.17", "bf": "2.6.18", "timeseries": "1.10.18"}),
    ("7.4", {"search": "2.10.17", "ReJSON": "2.8.10", "bf": "2.8.7", "timeseries": "1.12.7"}),
    ("8.0", {"search": "7.99.91", "ReJSON": "7.99.3", "bf": "8.0.1", "timeseries": "8.0.2"}),
])
def test_bundled_version_picked_by_redis_version(api, version, expected):
    wanted = [{"module_name": name} for name in BUNDLED]
    bdb = create(api, "rv-pick-" + version.replace(".", "-"), version=version, module_list=wanted)
    assert picked(bdb) == expected


def test_redis7_databases_get_only_the_modules_asked_for(api):
    bdb = create(api, "rv-seven", version="7.4", module_list=[{"module_name": "ReJSON"}])
    assert picked(bdb) == {"ReJSON": "2.8.10"}
    assert create(api, "rv-seven-bare", version="7.2")["module_list"] == []


def test_redis8_named_bundled_module_is_not_listed_twice(api):
    bdb = create(api, "rv-named", module_list=[{"module_name": "search", "module_args": "MAXSEARCHRESULTS 100"}])
    names = [e["module_name"] for e in bdb["module_list"]]
    assert sorted(names) == sorted(BUNDLED) and names[0] == "search"
    assert bdb["module_list"][0]["module_args"] == "MAXSEARCHRESULTS 100"


def test_bundled_version_that_does_not_fit_406(api):
    mark = api.emu.mark()
    body = bdb_body("rv-misfit", [{"module_name": "bf", "semantic_version": "2.8.7"}], version="8.2")
    assert_error(api.post("/v1/bdbs", json=body), 406, "redis_incompatible_version", "No version of module bf 2.8.7 is compatible with Redis 8.2")
    assert all(b["name"] != "rv-misfit" for b in api.get("/v1/bdbs").json())
    assert [w["status"] for w in api.emu.writes(mark)] == [406]


@pytest.mark.parametrize("name, fields, fits", [
    ("rvmod1", {"compatible_redis_version": "8.2", "min_redis_version": "7.0"}, {"8.2"}),
    ("rvmod2", {"compatible_redis_version": "7.4", "min_redis_version": "4.0"}, {"7.4"}),          # ramp pack's defaults
    ("rvmod3", {"compatible_redis_version": "", "min_redis_version": "7.0"}, {"7.2", "7.4"}),
    ("rvmod4", {"compatible_redis_version": "6.2", "min_redis_version": "6.0"}, set()),
    # neither field: nothing to refuse it by (an assumption of the emulator)
    ("rvmod5", {"compatible_redis_version": DROP, "min_redis_version": ""}, {"7.2", "7.4", "8.0", "8.2"}),
])
def test_custom_module_follows_the_same_rule(api, name, fields, fits):
    assert api.post(USER_DEFINED, json=metadata(name, **fields)).status_code == 200
    for version in ("7.2", "7.4", "8.0", "8.2"):
        body = bdb_body("%s-%s" % (name, version.replace(".", "-")), [{"module_name": name}], version=version)
        resp = api.post("/v1/bdbs", json=body)
        if version in fits:
            assert resp.status_code == 200, (version, resp.text)
            assert picked(resp.json())[name] == "1.0.0"
        else:
            assert_error(resp, 406, "redis_incompatible_version", "compatible with Redis %s" % version)


def test_custom_module_highest_fitting_version_wins(api):
    assert api.post(USER_DEFINED, json=metadata("rvpick", 10000, compatible_redis_version="7.4")).status_code == 200
    assert api.post(USER_DEFINED, json=metadata("rvpick", 20000, compatible_redis_version="8.2")).status_code == 200
    assert picked(create(api, "rvpick-74", version="7.4", module_list=[{"module_name": "rvpick"}]))["rvpick"] == "1.0.0"
    assert picked(create(api, "rvpick-82", version="8.2", module_list=[{"module_name": "rvpick"}]))["rvpick"] == "2.0.0"


def test_8_0_cluster_cannot_load_an_8_2_package(emulator_factory):
    emu = emulator_factory(clusters={"c1": 1}, software_version="8.0.10-81")
    admin = Api(emu)
    assert admin.post(USER_DEFINED, json=metadata("newer", compatible_redis_version="8.2")).status_code == 200
    assert_error(admin.post("/v1/bdbs", json=bdb_body("newer-db", [{"module_name": "newer"}])), 406, "redis_incompatible_version",
                 "compatible with Redis 8.0")
    assert_error(admin.post("/v1/bdbs", json=bdb_body("newer-db", version="8.2")), 406, "invalid_version", "7.2, 7.4, 8.0")
