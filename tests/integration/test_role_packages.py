# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packages exactly as Redis Enterprise reads them, through playbooks/deploy.yml (the module_lifecycle role) and the emulator.

- the real hello module packaged like RedisGears' -withdeps (url dependency stored as deps/<basename(url)>)
  deploys to every node, which then lists the dependency; a second run changes nothing and writes nothing;
- a package that breaks one of RAMP's rules, a dependency rule or the module name rule stops the run
  before any write (asserted on the emulator's request log), with a message saying what to fix;
- ubuntu22.04 / rhel9.4 / rocky9 packages on matching and non-matching nodes: the role's preflight (check_node)
  and the emulator agree.
"""

import json
import os
import zipfile

import pytest
from tests.integration.conftest import api_get

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
ARTIFACTS = "/v2/local/modules/user-defined/artifacts"
DEP_FILE = "deps/hello-data.Linux-ubuntu22.04-x86_64.1.0.0.tgz"

pytestmark = pytest.mark.slow


def variant(source, dest, metadata=None, drop=(), add=None):
    """A copy of the package `source` with module.json fields changed (None deletes), members dropped or added."""
    with zipfile.ZipFile(source) as archive:
        members = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(str(dest), "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename in drop:
                continue
            if info.filename == "module.json" and metadata:
                meta = json.loads(data)
                for key, value in metadata.items():
                    if value is None:
                        meta.pop(key, None)
                    else:
                        meta[key] = value
                data = json.dumps(meta, indent=4).encode()
            out.writestr(info, data)
        for name, data in (add or {}).items():
            out.writestr(name, data)
    return str(dest)


def deploy(ansible_run, emulator, src):
    admin = emulator.admin
    extra = {"module_lifecycle_artifacts": [{"src": src}], "module_lifecycle_allow_uploads": "temporary",
             "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
             "module_lifecycle_ca_path": emulator.ca_file}
    mark = emulator.mark()
    result = ansible_run(DEPLOY, inventory=emulator.inventory_path, extra_vars=extra)
    result.writes = emulator.writes(mark)
    return result


def node_names(emulator):
    return [node["name"] for node in emulator.nodes]


def test_withdeps_package_deploys_through_the_role(ansible_run, emulator, testmodules):
    run = deploy(ansible_run, emulator, testmodules.withdeps["path"])
    assert run.rc == 0, run
    assert "nodes ready 3/3" in run.output, run
    uploads = [w for w in run.writes if w["path"] == ARTIFACTS and w["method"] == "POST" and w["status"] == 200]
    assert sorted(w["node"] for w in uploads) == node_names(emulator), run.writes
    for node in node_names(emulator):
        assert api_get(emulator, node, ARTIFACTS) == [{"module_name": "hello", "version": 10000, "dependencies": ["hello_data"]}]
        stored = os.path.join(emulator.state_dir, "nodes", node, "artifacts", "hello", "10000", DEP_FILE)
        with open(stored, "rb") as handle, zipfile.ZipFile(testmodules.withdeps["path"]) as archive:
            assert handle.read() == archive.read(DEP_FILE), node
    modules = [(m["module_name"], m["semantic_version"]) for m in api_get(emulator, None, "/v1/modules") if not m.get("is_bundled")]
    assert modules == [("hello", "1.0.0")]

    again = deploy(ansible_run, emulator, testmodules.withdeps["path"])
    assert again.rc == 0, again
    assert again.writes == [], "a second run writes nothing"
    assert "changed=0" in again.output, again


BAD_PACKAGES = [
    # (id, change to the -withdeps package, fragment of the message)
    ("missing-dependency", dict(drop=(DEP_FILE,)),
     "Missing dependency hello-data.Linux-ubuntu22.04-x86_64.1.0.0.tgz: module.json declares dependency 'hello_data'"),
    ("dependency-sha256", dict(drop=(DEP_FILE,), add={DEP_FILE: b"tampered"}), "does not match the sha256 module.json declares"),
    ("stray-file", dict(add={"README.md": b"read me"}), "unexpected member 'README.md'"),
    ("two-so", dict(add={"deps/helper.so": b"\x7fELF"}), "more than one .so file (deps/helper.so, hello.so)"),
    ("architecture-field", dict(metadata={"architecture": "i386"}), "Architecture must be 64 bits"),
    ("no-module-file", dict(metadata={"module_file": None}), "lacks module_file"),
    ("version-semver", dict(metadata={"version": "1.0.0"}), "module_version_not_integer"),
    ("version-zero", dict(metadata={"version": 0}), "module_version_missing"),
    ("os-list", dict(metadata={"operating_systems": ["linux"]}), "module_os_list_invalid"),
    ("name-path", dict(metadata={"module_name": "a/../b"}), "the module name 'a/../b' contains a path separator '/'"),
    ("name-space", dict(metadata={"module_name": "my module"}), "contains whitespace"),
]


@pytest.mark.parametrize("change, fragment", [case[1:] for case in BAD_PACKAGES], ids=[case[0] for case in BAD_PACKAGES])
def test_bad_package_stops_the_role_before_any_write(ansible_run, emulator, testmodules, tmp_path, change, fragment):
    src = variant(testmodules.withdeps["path"], tmp_path / "hello-bad.zip", **change)
    run = deploy(ansible_run, emulator, src)
    assert run.rc != 0, run
    assert "Nothing was changed." in run.output and fragment in run.output, run
    assert "Traceback" not in run.output, run
    assert run.writes == []
    for node in node_names(emulator):
        assert api_get(emulator, node, ARTIFACTS) == []


OS_NODES = {"c1-node1": "rhel9", "c1-node2": "rocky9"}


@pytest.mark.parametrize("operating_systems, deploys", [
    (["rhel9.4"], True), (["rocky9"], True), (["ubuntu22.04"], False), (["rhel8"], False),
], ids=["rhel9.4", "rocky9", "ubuntu22.04", "rhel8"])
def test_package_os_on_rhel9_and_rocky9_nodes(ansible_run, emulator_factory, testmodules, tmp_path, operating_systems, deploys):
    emulator = emulator_factory(clusters={"c1": 2}, node_os=OS_NODES)
    src = variant(testmodules.v1["path"], tmp_path / "hello-os.zip", metadata={"operating_systems": operating_systems})
    run = deploy(ansible_run, emulator, src)
    if deploys:
        assert run.rc == 0, run
        for node in OS_NODES:
            assert api_get(emulator, node, ARTIFACTS) == [{"module_name": "hello", "version": 10000, "dependencies": []}]
    else:
        assert run.rc != 0, run
        assert "Nothing was changed." in run.output, run
        assert "supports the operating systems %s, not rhel9" % operating_systems in run.output, run
        assert run.writes == []
