# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: the emulator answers as a real Redis Enterprise 8.0 cluster does.

Each answer is compared with a copy of the same request's answer captured from a real 8.0 cluster
(tests/fixtures/rs-8.0, see its README): the same field names, the same JSON type for each field, nested
objects and list entries alike. An 8.2 cluster answers the same way, plus the documented
``allow_modules_upload`` on ``/v1/cluster``.
"""

import json
import os

import pytest

from tests.contract.helpers import USER_DEFINED, Api, bdb_body, build_zip, metadata

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "rs-8.0")


def capture(name):
    with open(os.path.join(FIXTURES, name + ".json")) as handle:
        return json.load(handle)


def kind(value):
    """The JSON type of a value; int and float are told apart (a real server writes 1081100128256.0, not an int)."""
    for name, types in (("null", type(None)), ("bool", bool), ("int", int), ("float", float), ("string", str),
                        ("array", list), ("object", dict)):
        if isinstance(value, types):
            return name
    raise AssertionError("not JSON: %r" % (value,))


def differences(captured, served, where="$", extra_allowed=()):
    """Where ``served`` does not have the shape of ``captured``: missing or extra fields and other JSON types.

    Objects are compared field by field; a list's entries are compared with the captured list's first entry of the
    same shape family (for heterogeneous lists such as supported_database_versions, with the entry of the same keys)."""
    out = []
    if kind(captured) != kind(served):
        return ["%s: %s captured, %s served" % (where, kind(captured), kind(served))]
    if isinstance(captured, dict):
        for key in sorted(set(captured) - set(served)):
            out.append("%s.%s: missing" % (where, key))
        for key in sorted(set(served) - set(captured) - set(extra_allowed)):
            out.append("%s.%s: not in the capture" % (where, key))
        for key in sorted(set(captured) & set(served)):
            out.extend(differences(captured[key], served[key], "%s.%s" % (where, key)))
    elif isinstance(captured, list) and captured and served:
        for i, entry in enumerate(served):
            model = next((c for c in captured if isinstance(c, dict) and isinstance(entry, dict) and set(c) == set(entry)),
                         captured[0])
            out.extend(differences(model, entry, "%s[%d]" % (where, i)))
    return out


@pytest.fixture(scope="module", params=["8.0.2-17", "8.2.0-25"])
def emu_version(request, tmp_path_factory):
    from tests.pytest_emulator import RunningEmulator  # pylint: disable=import-outside-toplevel
    emu = RunningEmulator(tmp_path_factory.mktemp("capture"), {"c1": 2, "c2": 1}, software_version=request.param,
                          node_arch={"c2-node1": "aarch64"})
    emu.start()
    yield emu, request.param
    emu.stop()


def test_cluster(emu_version):
    emu, version = emu_version
    served = Api(emu, "c1-node1", "viewer").get("/v1/cluster").json()
    extra = ("allow_modules_upload",) if version.startswith("8.2") else ()
    assert differences(capture("cluster"), served, extra_allowed=extra) == []
    assert ("allow_modules_upload" in served) == version.startswith("8.2")
    assert served["module_upload_max_size_mb"] == 40


def test_nodes_and_node(emu_version):
    emu, _version = emu_version
    api = Api(emu, "c1-node1", "viewer")
    nodes = api.get("/v1/nodes").json()
    assert len(nodes) == 2
    for node in nodes:
        assert differences(capture("nodes")[0], node) == []
    assert differences(capture("node_single"), api.get("/v1/nodes/2").json()) == []
    assert nodes[0]["external_addr"] == []
    assert Api(emu, "c2-node1", "viewer").get("/v1/nodes").json()[0]["architecture"] == "aarch64"
    assert [e["db_type"] for e in nodes[0]["supported_database_versions"]].count("memcached") == 1


def test_modules(emu_version):
    emu, version = emu_version
    served = Api(emu, "c1-node1", "viewer").get("/v1/modules").json()
    captured = capture("modules_list")
    assert len(served) == len(captured) == 16
    for mod in served:
        assert differences(captured[0], mod) == []
    if version.startswith("8.0"):
        # the same 16 bundled modules: 4 names x 4 versions, int versions, compatible_redis_version sometimes ""
        def ids(mods):
            return sorted((m["module_name"], m["version"], m["semantic_version"], m["compatible_redis_version"]) for m in mods)
        assert ids(served) == ids(captured)


def test_bdbs_and_bdb(emu_version, tmp_path):
    emu, version = emu_version
    api = Api(emu, "c1-node1")
    if version.startswith("8.2"):
        api.allow_uploads(True)
    meta = metadata("shapes", 10000, compatible_redis_version="8.0")
    assert api.post(USER_DEFINED, json=meta).status_code == 200
    path = build_zip(tmp_path / "shapes.zip", meta)
    for node in ("c1-node1", "c1-node2"):
        assert Api(emu, node).upload(path).status_code == 200
    created = api.post("/v1/bdbs", json=bdb_body("shapes-db", [{"module_name": "shapes"}], redis_version="8.0"))
    assert created.status_code == 200, created.text
    bdb = api.get("/v1/bdbs/%d" % created.json()["uid"]).json()
    assert differences(capture("bdb_single"), bdb) == []
    listing = api.get("/v1/bdbs").json()
    assert differences(capture("bdbs_list"), listing) == []
    # a real server returns the database's admin password in the object: the collection must never print it
    assert isinstance(bdb["authentication_admin_pass"], str) and len(bdb["authentication_admin_pass"]) >= 20
    assert [e["module_name"] for e in bdb["module_list"]][:1] == ["shapes"]


def test_actions(emu_version):
    emu, _version = emu_version
    served = Api(emu, "c1-node1", "viewer").get("/v1/actions").json()
    assert sorted(served) == sorted(capture("actions_list"))


def test_differences_finds_what_differs():
    captured = {"a": 1, "b": "x", "c": [{"d": 1.0}], "e": {"f": True}}
    assert differences(captured, {"a": 1, "b": "y", "c": [{"d": 2.0}], "e": {"f": False}}) == []
    assert differences(captured, {"a": "1", "b": "x", "c": [{"d": 2}], "e": {}, "g": None}) == [
        "$.g: not in the capture", "$.a: int captured, string served", "$.c[0].d: float captured, int served",
        "$.e.f: missing"]
