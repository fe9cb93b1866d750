# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inspector against the shared table of package rules (tests/package_rules.py).

tests/contract/test_package_rules.py runs the same table against the emulator.
"""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _artifact
from tests import package_rules
from tests.emulator.state import OS_TABLE


@pytest.mark.parametrize("case", package_rules.CASES, ids=[case.id for case in package_rules.CASES])
def test_inspector_applies_the_rule(tmp_path, case):
    path = case.build(tmp_path / "pkg.zip")
    if case.inspector is None:
        package = _artifact.inspect_package(path)
        assert package.module_name == case.package.get("metadata", {}).get("module_name", "rules")
        assert package.version == 10000
    else:
        with pytest.raises(_artifact.ArtifactError) as caught:
            _artifact.inspect_package(path)
        assert case.inspector in caught.value.msg
        assert caught.value.msg.startswith(path + ": ")


def test_table_differences_are_explained():
    """Where the inspector and the server differ, the inspector is the stricter one, and the case says why."""
    for case in package_rules.CASES:
        if (case.inspector is None) != (case.emulator is None):
            assert case.note, case.id
            assert case.emulator is None, "%s: the server refuses what the inspector accepts" % case.id


def test_withdeps_package_reports_its_dependency(tmp_path):
    case = next(c for c in package_rules.CASES if c.id == "dep-withdeps-layout")
    package = _artifact.inspect_package(case.build(tmp_path / "pkg.zip"))
    assert package.dependencies == ["gears_python"] and package.warnings == []


def test_undeclared_dependency_file_is_a_warning(tmp_path):
    case = next(c for c in package_rules.CASES if c.id == "dep-undeclared-file")
    path = case.build(tmp_path / "pkg.zip")
    package = _artifact.inspect_package(path)
    assert package.warnings == ["%s: deps/extra.tgz is not a declared dependency; Redis Enterprise extracts it with the module "
                                "but nothing declares it" % path]


def node_object(os_key):
    """The node object the emulator serves for --node-os os_key (same table)."""
    family, os_name, os_version, semver = OS_TABLE[os_key]
    return {"uid": 1, "addr": "127.0.0.11", "architecture": "x86_64", "os_family": family, "os_name": os_name,
            "os_version": os_version, "os_semantic_version": semver}


@pytest.mark.parametrize("case_id, oses, node_os, takes", package_rules.OS_CASES, ids=[c[0] for c in package_rules.OS_CASES])
def test_check_node_os(tmp_path, case_id, oses, node_os, takes):
    package = _artifact.inspect_package(package_rules.build(tmp_path / "pkg.zip", metadata={"operating_systems": oses or None}))
    problems = _artifact.check_node_compatibility(package, node_object(node_os))
    assert (problems == []) == takes, (case_id, problems)
    if not takes:
        assert "supports the operating systems %s, not %s" % (oses, _artifact.node_os_id(node_object(node_os))) in problems[0]
