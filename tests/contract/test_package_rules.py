# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: the emulator's artifact upload against the shared table of package rules (tests/package_rules.py),
and the emulator agreeing with the collection's check_node on operating systems (ubuntu22.04, rhel9.4, rocky9
packages on matching and non-matching nodes).

tests/unit/plugins/module_utils/test_package_rules.py runs the same table against the inspector.
"""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _artifact
from tests import package_rules
from tests.contract.helpers import ARTIFACTS, USER_DEFINED, Api, assert_error, metadata
from tests.pytest_emulator import RunningEmulator

NODES = {"c9-node%d" % (index + 1): os_key for index, os_key in enumerate(package_rules.OS_NODES)}


@pytest.fixture(scope="module")
def os_emu(tmp_path_factory):
    emu = RunningEmulator(tmp_path_factory.mktemp("emulator"), {"c9": len(NODES)}, node_os=NODES)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def admin(os_emu):
    api = Api(os_emu, "c9-node1")
    api.allow_uploads(True)
    return api


@pytest.mark.parametrize("case", package_rules.CASES, ids=[case.id for case in package_rules.CASES])
def test_emulator_applies_the_rule(admin, os_emu, tmp_path, case):
    path = case.build(tmp_path / "pkg.zip")
    mark = os_emu.mark()
    resp = admin.upload(path)
    if case.emulator is None:
        assert resp.status_code == 200, resp.text
        name = case.package.get("metadata", {}).get("module_name", "rules")
        listed = [a for a in admin.get(ARTIFACTS).json() if a["module_name"] == name]
        assert [a["version"] for a in listed] == [1 if case.id == "version-bool" else 10000]
        assert admin.delete(ARTIFACTS + "/%s/%d" % (name, listed[0]["version"])).status_code == 200
    else:
        assert_error(resp, *case.emulator)
        assert [w["status"] for w in os_emu.writes(mark)] == [resp.status_code], "a refused upload stores nothing"
        assert admin.get(ARTIFACTS).json() == []


def test_withdeps_dependency_is_listed_and_extracted(admin, os_emu, tmp_path):
    case = next(c for c in package_rules.CASES if c.id == "dep-withdeps-layout")
    assert admin.upload(case.build(tmp_path / "pkg.zip")).status_code == 200
    assert admin.get(ARTIFACTS).json() == [{"module_name": "rules", "version": 10000, "dependencies": ["gears_python"]}]
    extracted = "%s/nodes/c9-node1/artifacts/rules/10000/deps/%s" % (os_emu.state_dir, package_rules.GEARS_FILE)
    with open(extracted, "rb") as handle:
        assert handle.read() == package_rules.DEP_BYTES
    assert admin.delete(ARTIFACTS + "/rules/10000").status_code == 200


@pytest.mark.parametrize("case_id, oses, node_os, takes", package_rules.OS_CASES, ids=[c[0] for c in package_rules.OS_CASES])
def test_node_os_agrees_with_check_node(os_emu, tmp_path, case_id, oses, node_os, takes):
    node = next(name for name, os_key in NODES.items() if os_key == node_os)
    api = Api(os_emu, node)
    api.allow_uploads(True)
    path = package_rules.build(tmp_path / "pkg.zip", metadata={"operating_systems": oses or None})
    uid = int(node.rsplit("node", 1)[1])
    node_object = api.get("/v1/nodes/%d" % uid).json()
    problems = _artifact.check_node_compatibility(_artifact.inspect_package(path), node_object)
    resp = api.upload(path)
    assert (resp.status_code == 200) == takes == (problems == []), (case_id, resp.text, problems)
    if takes:
        assert api.delete(ARTIFACTS + "/rules/10000").status_code == 200
    else:
        assert_error(resp, 406, "os_not_supported", "this node's OS '%s'" % _artifact.node_os_id(node_object))


@pytest.mark.parametrize("name", ["a/../b", "..", "rg x", "rg\x00", "m" * 129])
def test_user_defined_post_refuses_unsafe_names(admin, name):
    body = assert_error(admin.post(USER_DEFINED, json=metadata(name)), 406, "invalid_module", "a module name is one path segment")
    assert "Invalid module_name" in body["description"]


@pytest.mark.parametrize("path_name", ["..%2Fetc", "%2E%2E", "rg%20x", "rg%09", "m" * 129])
def test_artifact_delete_refuses_unsafe_names(admin, os_emu, path_name):
    mark = os_emu.mark()
    assert_error(admin.delete(ARTIFACTS + "/%s/10000" % path_name), 406, "invalid_module", "a module name is one path segment")
    assert [w["status"] for w in os_emu.writes(mark)] == [406]
