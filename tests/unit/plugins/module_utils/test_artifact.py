# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of _artifact.inspect_package() (one case per failure) and of the node checks."""

import hashlib
import json
import struct
import zipfile

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _artifact


def elf_header(machine=62, elf_class=2, byte_order=1, e_type=3):
    """A 64-byte ELF header: enough for the checks, which read only the first 20 bytes."""
    ident = b"\x7fELF" + bytes([elf_class, byte_order, 1]) + b"\0" * 9
    fmt = "<HH" if byte_order == 1 else ">HH"
    return ident + struct.pack(fmt, e_type, machine) + b"\0" * 44


GOOD_METADATA = {
    "module_name": "hello",
    "version": 10000,
    "semantic_version": "1.0.0",
    "display_name": "Hello",
    "commands": [{"command_name": "hello.ping", "command_arity": -1, "flags": ["readonly"], "first_key": 0, "last_key": 0, "step": 0}],
    "command_line_args": "",
    "capabilities": ["no_multi_key"],
    "min_redis_version": "7.0",
    "architecture": "x86_64",
    "operating_systems": ["rhel9", "ubuntu22"],
    "module_file": "hello.so",
    "dependencies": {},
}
DEP_BYTES = b"not really a tarball, but the checks only hash it"


def make_zip(path, members=None, metadata=None, drop=(), so=None):
    """A package: module.json from GOOD_METADATA updated with `metadata` (None values delete keys),
    hello.so holding `so` (a valid x86_64 header by default), then extra `members`."""
    meta = dict(GOOD_METADATA)
    for key, value in (metadata or {}).items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    content = {"hello.so": elf_header() if so is None else so, "module.json": json.dumps(meta).encode()}
    content = {name: data for name, data in content.items() if name not in drop}
    content.update(members or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return str(path)


def write_bytes(name, data):
    def build(tmp_path):
        target = tmp_path / name
        target.write_bytes(data)
        return str(target)
    return build


def package(**kwargs):
    def build(tmp_path):
        return make_zip(tmp_path / "pkg.zip", **kwargs)
    return build


def duplicate_member(tmp_path):
    path = make_zip(tmp_path / "pkg.zip")
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("module.json", b"{}")
    return path


def encrypted_member(tmp_path):
    """Set the 'encrypted' flag in the central directory, as an encrypting zip tool would."""
    path = tmp_path / "pkg.zip"
    data = bytearray(open(make_zip(path), "rb").read())
    start = data.find(b"PK\x01\x02")
    data[start + 8] |= 0x1
    path.write_bytes(bytes(data))
    return str(path)


def corrupt_deflate(tmp_path):
    """module.json's compressed bytes overwritten: the zip directory is fine, reading the member is not."""
    path = make_zip(tmp_path / "pkg.zip", metadata={"description": "x" * 4000})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("module.json")
    data = bytearray(open(path, "rb").read())
    offset = info.header_offset + 30 + len(info.filename) + 20
    data[offset:offset + 40] = b"\xff" * 40
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    return path


def directory(tmp_path):
    return str(tmp_path)


def missing(tmp_path):
    return str(tmp_path / "nope.zip")


FAILURES = [
    # (id, builder, expected message fragment)
    ("missing-file", missing, "no such file"),
    ("directory", directory, "not a regular file"),
    ("not-a-zip", write_bytes("pkg.zip", b"hello, I am text\n" * 10), "not a zip file"),
    ("corrupt-member", corrupt_deflate, "damaged or unsupported zip file"),
    ("absolute-name", package(members={"/etc/cron.d/evil": b"x"}), "unsafe member name '/etc/cron.d/evil' (absolute path)"),
    ("dotdot-name", package(members={"deps/../../evil.so": b"x"}), "'..' component"),
    ("backslash-name", package(members={"..\\..\\evil": b"x"}), "(backslash)"),
    ("drive-name", package(members={"C:/evil": b"x"}), "absolute path"),
    ("duplicate-member", duplicate_member, "appears more than once"),
    ("encrypted", encrypted_member, "is encrypted"),
    ("no-module-json", package(drop=("module.json",)), "module.json missing"),
    ("nested-module-json", package(drop=("module.json",), members={"hello/module.json": b"{}"}), "must sit at the top level"),
    ("huge-module-json", package(drop=("module.json",), members={"module.json": b" " * (1024 * 1024 + 1)}), "larger than 1048576 bytes"),
    ("module-json-not-utf8", package(drop=("module.json",), members={"module.json": b'{"module_name": "\xff"}'}), "not UTF-8"),
    ("module-json-not-json", package(drop=("module.json",), members={"module.json": b"{module_name: hello"}), "not valid JSON"),
    ("module-json-array", package(drop=("module.json",), members={"module.json": b"[]"}), "must hold a JSON object, not list"),
    ("empty-module-name", package(metadata={"module_name": " "}), "module_name must be a non-empty string"),
    ("module-name-number", package(metadata={"module_name": 5}), "module_name must be a non-empty string"),
    ("version-text", package(metadata={"version": "1.0.0"}), 'version "1.0.0" is not a number'),
    ("version-bool", package(metadata={"version": True}), "a boolean is no version"),
    ("version-zero", package(metadata={"version": 0}), "version is 0 (Redis Enterprise refuses it: module_version_missing)"),
    ("version-negative", package(metadata={"version": -10000}), "version must be a positive integer"),
    ("semantic-version-number", package(metadata={"semantic_version": 1}), "semantic_version must be a string"),
    ("semantic-version-empty", package(metadata={"semantic_version": ""}), "semantic_version must not be empty"),
    ("display-name-list", package(metadata={"display_name": ["x"]}), "display_name must be a string"),
    ("command-line-args-list", package(metadata={"command_line_args": ["a"]}), "command_line_args must be a string"),
    ("min-redis-version-number", package(metadata={"min_redis_version": 7.0}), "min_redis_version must be a string"),
    ("capabilities-string", package(metadata={"capabilities": "types"}), "capabilities must be a list of strings"),
    ("commands-object", package(metadata={"commands": {"hello.ping": {}}}), "commands must be a list"),
    ("command-not-object", package(metadata={"commands": ["hello.ping"]}), "commands[0] must be an object"),
    ("command-without-name", package(metadata={"commands": [{"command_arity": 1}]}), "commands[0] lacks a command_name"),
    ("command-arity-text", package(metadata={"commands": [{"command_name": "a", "command_arity": "1"}]}), "field command_arity must be an integer"),
    ("command-flags-text", package(metadata={"commands": [{"command_name": "a", "flags": "write"}]}), "field flags must be a list of strings"),
    ("architecture-number", package(metadata={"architecture": 64}), "architecture is 64; Redis Enterprise accepts only x86_64 or aarch64"),
    ("operating-systems-string", package(metadata={"operating_systems": "rhel9"}), "operating_systems must be a list of operating systems"),
    ("no-so", package(drop=("hello.so",)), "names module_file 'hello.so' but the package has no such member (it holds module.json); "
     "add the module .so"),
    ("no-module-file", package(metadata={"module_file": None}), 'lacks module_file'),
    ("two-so", package(members={"other.so": elf_header()}), "more than one .so file (hello.so, other.so)"),
    ("module-file-absent", package(metadata={"module_file": "redisgears.so"}),
     "names module_file 'redisgears.so' but the package has no such member (it holds hello.so, module.json); set module_file to 'hello.so'"),
    ("not-elf", package(so=b"#!/bin/sh\necho I am not a module\n"), "hello.so is not an ELF file"),
    ("short-file", package(so=b"\x7fELF"), "hello.so is not an ELF file"),
    ("elf-32-bit", package(so=elf_header(elf_class=1)), "32-bit ELF"),
    ("elf-bad-byte-order", package(so=elf_header(byte_order=3)), "invalid ELF byte order"),
    ("elf-executable", package(so=elf_header(e_type=2)), "is an executable, not a shared object"),
    ("elf-relocatable", package(so=elf_header(e_type=1)), "relocatable object"),
    ("architecture-mismatch", package(metadata={"architecture": "aarch64"}), "says architecture 'aarch64' but hello.so is an ELF for x86_64"),
    ("elf-s390x", package(so=elf_header(machine=22)), "says architecture 'x86_64' but hello.so is an ELF for s390x"),
    ("elf-unknown-machine", package(so=elf_header(machine=9999)), "hello.so is an ELF for elf-machine-9999"),
    ("dependency-url-only", package(metadata={"dependencies": {"gears_python": {"url": "https://example.invalid/py.tgz", "sha256": "ab"}}}),
     "Missing dependency py.tgz: module.json declares dependency 'gears_python' (url https://example.invalid/py.tgz) but the package "
     "holds no deps/py.tgz (nor deps/gears_python.tgz). Redis Enterprise never downloads dependencies"),
    ("dependency-missing", package(metadata={"dependencies": {"gears_python": {"sha256": "ab"}}}),
     "Missing dependency gears_python.tgz: module.json declares dependency 'gears_python' but the package holds no deps/gears_python.tgz"),
    ("dependency-list-missing", package(metadata={"dependencies": [{"name": "py", "url": "https://x.invalid/py.tgz"}]}), "deps/py.tgz"),
    ("dependency-bad-sha", package(metadata={"dependencies": {"py": {"sha256": "00" * 32}}}, members={"deps/py.tgz": DEP_BYTES}),
     "deps/py.tgz does not match the sha256"),
    ("dependency-not-object", package(metadata={"dependencies": {"py": "https://x.invalid/py.tgz"}}), "dependencies['py'] must be an object"),
    ("dependencies-string", package(metadata={"dependencies": "py"}), "dependencies must be an object"),
    ("dependency-unsafe-name", package(metadata={"dependencies": {"../x": {"url": "u"}}}), "unsafe name '../x'"),
    ("stray-file", package(members={"README.md": b"read me"}), "unexpected member 'README.md'"),
    ("stray-macos-folder", package(members={"__MACOSX/._module.json": b"x"}), "unexpected member '__MACOSX/._module.json'"),
    ("stray-so-copy", package(members={"__MACOSX/._hello.so": b"x"}), "more than one .so file (__MACOSX/._hello.so, hello.so)"),
    ("so-in-deps", package(members={"deps/gears.so": b"x"}), "more than one .so file (deps/gears.so, hello.so)"),
]


@pytest.mark.parametrize("builder, expected", [case[1:] for case in FAILURES], ids=[case[0] for case in FAILURES])
def test_inspect_package_refuses(tmp_path, builder, expected):
    path = builder(tmp_path)
    with pytest.raises(_artifact.ArtifactError) as caught:
        _artifact.inspect_package(path)
    assert expected in caught.value.msg
    assert caught.value.msg.startswith(path + ": "), "the message names the file"
    assert caught.value.path == path
    assert str(caught.value) == caught.value.msg


@pytest.mark.parametrize("field", ["module_name", "version", "semantic_version", "display_name", "commands",
                                   "command_line_args", "capabilities", "min_redis_version"])
def test_inspect_package_requires_documented_fields(tmp_path, field):
    path = make_zip(tmp_path / "pkg.zip", metadata={field: None})
    with pytest.raises(_artifact.ArtifactError, match="lacks the required field '%s'" % field):
        _artifact.inspect_package(path)


def test_inspect_package_refuses_oversize(tmp_path, monkeypatch):
    path = make_zip(tmp_path / "pkg.zip")
    monkeypatch.setattr(_artifact, "MAX_PACKAGE_BYTES", 100)
    with pytest.raises(_artifact.ArtifactError, match=r"bytes is larger than the 100 bytes \(500 MB\)"):
        _artifact.inspect_package(path)


def test_max_package_bytes_is_500_mib():
    assert _artifact.MAX_PACKAGE_BYTES == 500 * 1024 * 1024


@pytest.mark.parametrize("key, version, architecture, operating_systems", [
    ("hello-1.0.0", 10000, "x86_64", ["rhel9", "ubuntu22"]),
    ("hello-2.0.0", 20000, "x86_64", ["rhel9", "ubuntu22"]),
    ("hello-1.0.0-rhel8", 10000, "x86_64", ["rhel8"]),
    ("hello-1.0.0-aarch64", 10000, "aarch64", ["rhel9", "ubuntu22"]),
])
def test_inspect_real_packages(testmodules, key, version, architecture, operating_systems):
    if key == "hello-1.0.0-aarch64":
        testmodules.require_aarch64()
    entry = testmodules[key]
    pkg = _artifact.inspect_package(entry["path"])
    assert pkg.identity() == {"module_name": "hello", "version": version, "semantic_version": entry["semantic_version"]}
    assert (pkg.path, pkg.module_file, pkg.architecture, pkg.operating_systems) == (entry["path"], "hello.so", architecture, operating_systems)
    assert pkg.size == len(open(entry["path"], "rb").read())
    assert pkg.dependencies == [] and pkg.warnings == []
    assert {c["command_name"] for c in pkg.metadata["commands"]} == {"hello.ping", "hello.get", "hello.set"}


@pytest.mark.parametrize("raw, expected", [(10000, 10000), (10000.0, 10000), ("10000", 10000), ("10000.0", 10000), (" 20000 ", 20000),
                                           ("1e4", 10000), (10000.9, 10000)])
def test_accepts_version_forms(tmp_path, raw, expected):
    """RAMP's unpacker reads version as int(float(v)); ramp pack writes it as a float read from MODULE LIST."""
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", metadata={"version": raw}))
    assert pkg.version == expected and pkg.metadata["version"] == expected


def test_accepts_what_ramp_pack_writes(tmp_path):
    """Fields and quirks of ramp-packer output: build-host OS, float version, extra fields, optional-dependencies."""
    ramp_like = {"version": 10000.0, "operating_systems": ["debian12"], "compatible_redis_version": "7.4", "os": "Linux",
                 "git_sha": "b'abc'", "optional-dependencies": {}, "crdb": {}, "sha256": "00" * 32, "display_name": "",
                 "exclude_commands": [], "overide_command": [], "add_command": [], "bigstore_version_2_support": False}
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", metadata=ramp_like))
    assert pkg.version == 10000 and pkg.operating_systems == ["debian12"]


def test_optional_fields_may_be_absent(tmp_path):
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", metadata={"operating_systems": None, "dependencies": None}))
    assert (pkg.module_file, pkg.architecture, pkg.operating_systems, pkg.dependencies) == ("hello.so", "x86_64", None, [])


def test_module_file_in_a_folder(tmp_path):
    """RAMP opens module_file wherever it is; only its .so suffix keeps it from counting as a stray file."""
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", drop=("hello.so",), members={"lib/hello.so": elf_header()},
                                             metadata={"module_file": "lib/hello.so"}))
    assert pkg.module_file == "lib/hello.so"


@pytest.mark.parametrize("machine, name", [(62, "x86_64"), (183, "aarch64")])
def test_reports_elf_architecture(tmp_path, machine, name):
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", so=elf_header(machine=machine), metadata={"architecture": name}))
    assert pkg.architecture == name


def test_big_endian_elf(tmp_path):
    with pytest.raises(_artifact.ArtifactError, match="hello.so is an ELF for s390x"):
        _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", so=elf_header(machine=22, byte_order=2)))


@pytest.mark.parametrize("dependencies", [
    {"py": {"url": "https://example.invalid/py.tgz", "sha256": hashlib.sha256(DEP_BYTES).hexdigest()}},
    {"py": {"sha256": hashlib.sha256(DEP_BYTES).hexdigest().upper()}},
    [{"name": "py", "url": "https://example.invalid/py.tgz", "sha256": hashlib.sha256(DEP_BYTES).hexdigest()}],
], ids=["map", "map-no-url", "list"])
def test_embedded_dependencies(tmp_path, dependencies):
    members = {"deps/": b"", "deps/py.tgz": DEP_BYTES}
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", metadata={"dependencies": dependencies}, members=members))
    assert pkg.dependencies == ["py"] and pkg.warnings == []


@pytest.mark.parametrize("name, spec, files", [
    ("gears_python", {"url": "https://s3.example/rg/redisgears-python.Linux-ubuntu22.04-x86_64.1.2.7.tgz"},
     ["deps/redisgears-python.Linux-ubuntu22.04-x86_64.1.2.7.tgz", "deps/gears_python.tgz"]),
    ("py", {"url": "https://s3.example/a/py.tgz?sig=1#x"}, ["deps/py.tgz"]),
    ("py", {"url": "https://s3.example/a/my%20py.tgz"}, ["deps/my py.tgz", "deps/py.tgz"]),
    ("py", {"url": "https://s3.example/a/"}, ["deps/py.tgz"]),
    ("py", {"url": "https://s3.example/.."}, ["deps/py.tgz"]),
    ("py", {"url": "https://s3.example/a/%2E%2E"}, ["deps/py.tgz"]),
    ("py", {"url": ""}, ["deps/py.tgz"]),
    ("py", {"sha256": "ab"}, ["deps/py.tgz"]),
    ("py", {"url": 5}, ["deps/py.tgz"]),
])
def test_dependency_files(name, spec, files):
    assert _artifact.dependency_files(name, spec) == files


def test_optional_dependency_may_be_absent(tmp_path):
    pkg = _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", metadata={"optional-dependencies": {"x": {"url": "https://x.invalid"}}}))
    assert pkg.dependencies == []


def test_never_extracts(tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("inspect_package must not extract")
    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)
    path = make_zip(tmp_path / "pkg.zip")
    _artifact.inspect_package(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.zip"]


# --- node compatibility ---

@pytest.mark.parametrize("node, expected", [
    ({"os_family": "rhel", "os_semantic_version": "9.3"}, "rhel9"),
    ({"os_family": "rhel", "os_semantic_version": "8.10.0"}, "rhel8"),
    ({"os_family": "ubuntu", "os_semantic_version": "22.04.3"}, "ubuntu22"),
    ({"os_family": "Ubuntu", "os_semantic_version": "20.04"}, "ubuntu20"),
    ({"os_family": "centos", "os_semantic_version": "7.9"}, "rhel7"),
    ({"os_family": "rocky", "os_semantic_version": "9.2"}, "rhel9"),
    ({"os_family": "almalinux", "os_semantic_version": "8.8"}, "rhel8"),
    ({"os_family": "oracle", "os_semantic_version": "9"}, "rhel9"),
    ({"os_family": "amzn", "os_semantic_version": "2"}, "amzn2"),
    ({"os_version": "Ubuntu 22.04.2 LTS"}, "ubuntu22"),
    ({"os_version": "Rocky Linux 9.3 (Blue Onyx)"}, "rhel9"),
    ({"os_version": "Red Hat Enterprise Linux 9.4 (Plow)"}, "rhel9"),
    ({"os_family": "rhel", "os_name": "rocky", "os_semantic_version": "9.4"}, "rhel9"),
    ({"os_family": "rhel"}, None),
    ({}, None),
], ids=lambda value: value if isinstance(value, str) else None)
def test_node_os_id(node, expected):
    assert _artifact.node_os_id(node) == expected


@pytest.mark.parametrize("package_os, expected", [
    ("rhel9", "rhel9"), ("ubuntu22.04", "ubuntu22"), ("rocky8", "rhel8"), ("debian12", "debian12"), ("rhel", None),
])
def test_package_os_id(package_os, expected):
    assert _artifact.package_os_id(package_os) == expected


UBUNTU22_X86 = {"uid": 1, "addr": "127.0.0.11", "architecture": "x86_64", "os_family": "ubuntu", "os_semantic_version": "22.04.3"}
RHEL8_X86 = dict(UBUNTU22_X86, os_family="rhel", os_semantic_version="8.9")
UBUNTU22_ARM = dict(UBUNTU22_X86, architecture="aarch64")


def synthetic(tmp_path, **metadata):
    so = elf_header(machine=183 if metadata.get("architecture") == "aarch64" else 62)
    return _artifact.inspect_package(make_zip(tmp_path / "pkg.zip", metadata=metadata, so=so))


@pytest.mark.parametrize("metadata, node, problems", [
    ({}, UBUNTU22_X86, []),
    ({}, RHEL8_X86, ["module 'hello' 1.0.0 supports the operating systems ['rhel9', 'ubuntu22'], not rhel8 of node 1 (127.0.0.11)"]),
    ({"operating_systems": ["rhel8"]}, RHEL8_X86, []),
    ({"operating_systems": ["ubuntu22.04"]}, UBUNTU22_X86, []),
    ({"operating_systems": ["rocky8"]}, RHEL8_X86, []),
    ({"operating_systems": None}, RHEL8_X86, []),
    ({}, {"uid": 1, "architecture": "x86_64"}, []),
    ({"architecture": "aarch64"}, UBUNTU22_X86, ["module 'hello' 1.0.0 is built for aarch64 but node 1 (127.0.0.11) runs on x86_64"]),
    ({"architecture": "aarch64"}, UBUNTU22_ARM, []),
    ({"architecture": "aarch64"}, dict(UBUNTU22_ARM, architecture="arm64"), []),
    ({"architecture": "aarch64", "operating_systems": ["rhel9"]}, UBUNTU22_X86, ["built for aarch64", "not ubuntu22 of node 1"]),
], ids=["ok", "os", "rhel8-ok", "osnick", "rocky", "no-os-list", "node-os-unknown", "arch", "arm-ok", "arm64-alias", "both"])
def test_check_node_compatibility(tmp_path, metadata, node, problems):
    found = _artifact.check_node_compatibility(synthetic(tmp_path, **metadata), node)
    assert len(found) == len(problems), found
    for message, fragment in zip(found, problems):
        assert fragment in message


def test_real_aarch64_package_on_x86_node(testmodules):
    pkg = _artifact.inspect_package(testmodules.require_aarch64()["path"])
    problems = _artifact.check_node_compatibility(pkg, UBUNTU22_X86)
    assert problems == ["module 'hello' 1.0.0 is built for aarch64 but node 1 (127.0.0.11) runs on x86_64; upload the x86_64 build of the module"]


def test_real_rhel8_package_on_ubuntu_node(testmodules):
    pkg = _artifact.inspect_package(testmodules.rhel8["path"])
    assert _artifact.check_node_compatibility(pkg, UBUNTU22_X86) == [
        "module 'hello' 1.0.0 supports the operating systems ['rhel8'], not ubuntu22 of node 1 (127.0.0.11) "
        "(Redis Enterprise refuses it there); upload a package built for ubuntu22"]


# --- the one version rule (RAMP's int(float(v))) ---

@pytest.mark.parametrize("value, expected", [
    (10000, (10000, None)), (10000.0, (10000, None)), ("10000", (10000, None)), (" 10000.0 ", (10000, None)), ("1e4", (10000, None)),
    (10000.5, (10000, None)), (-5, (-5, None)), (True, (1, None)),
    (0, (None, "module_version_missing")), ("", (None, "module_version_missing")), (None, (None, "module_version_missing")),
    (False, (None, "module_version_missing")), ([], (None, "module_version_missing")),
    ("1.0.0", (None, "module_version_not_integer")), ("abc", (None, "module_version_not_integer")), ([1], (None, "module_version_not_integer")),
    ({"v": 1}, (None, "module_version_not_integer")), ("nan", (None, "module_version_not_integer")), ("inf", (None, "module_version_not_integer")),
])
def test_ramp_version(value, expected):
    assert _artifact.ramp_version(value) == expected


@pytest.mark.parametrize("value, expected", [(10000, 10000), ("10000", 10000), (10000.5, 10000), (True, None), (False, None), (0, None),
                                             ("1.0.0", None)])
def test_coerce_version_is_ramp_version_without_booleans(value, expected):
    assert _artifact.coerce_version(value) == expected
    assert _artifact.coerce_version(value, "dflt") == (expected if expected is not None else "dflt")


# --- module names ---

@pytest.mark.parametrize("name, fragment", [
    ("hello", None), ("ReJSON", None), ("rg", None), ("my.module-2_x+y", None), ("módulo", None), ("m" * 128, None),
    ("a/../b", "contains a path separator '/'"), ("a/b", "contains a path separator '/'"), ("a\\b", "contains a path separator '\\\\'"),
    ("..", "is a relative path segment"), (".", "is a relative path segment"),
    ("my module", "contains whitespace (U+0020)"), ("rg\t", "contains a control character (U+0009)"),
    ("rg\n", "contains a control character (U+000A)"), ("rg\x00", "contains a control character (U+0000)"),
    ("rg\x7f", "contains a control character (U+007F)"), ("rg\x85", "contains a control character (U+0085)"),
    ("rg\u00a0", "contains whitespace (U+00A0)"), ("rg\u3000", "contains whitespace (U+3000)"),
    ("m" * 129, "is 129 characters long"), ("", "the module name is empty"), (None, "must be a string"), (5, "must be a string"),
])
def test_module_name_problem(name, fragment):
    problem = _artifact.module_name_problem(name)
    if fragment is None:
        assert problem is None
    else:
        assert fragment in problem
        assert "a module name is one path segment" in problem and "at most 128 characters" in problem


# --- the one OS normalisation ---

@pytest.mark.parametrize("family, version, expected", [
    ("ubuntu", "22.04", "ubuntu22"), ("Ubuntu", "22.04.4", "ubuntu22"), ("rhel", "9.4", "rhel9"), ("rocky", "9", "rhel9"),
    ("almalinux", "8.8", "rhel8"), ("alma", "8", "rhel8"), ("centos", "7", "rhel7"), ("oracle", "9", "rhel9"), ("ol", "8", "rhel8"),
    ("redhatenterpriselinux", "9", "rhel9"), ("amzn", "2", "amzn2"), ("debian", "12", "debian12"), ("", "9", None), ("rhel", "", None),
])
def test_os_id(family, version, expected):
    assert _artifact.os_id(family, version) == expected


@pytest.mark.parametrize("entry, parsed", [
    ("ubuntu22.04", ("ubuntu", "22.04")), ("rhel9", ("rhel", "9")), ("rhel9.4", ("rhel", "9.4")), ("rocky9", ("rocky", "9")),
    ("amzn2", ("amzn", "2")), ("ubuntu 20.04.6", ("ubuntu", "20.04.6")), ("rhel", None), ("22.04", None), ("", None), (9, None), (None, None),
])
def test_parse_os(entry, parsed):
    assert _artifact.parse_os(entry) == parsed


@pytest.mark.parametrize("entry, expected", [("ubuntu22.04", "ubuntu22"), ("rhel9.4", "rhel9"), ("rocky9", "rhel9"), ("centos7", "rhel7"),
                                             ("oracle8", "rhel8"), ("almalinux9", "rhel9")])
def test_package_os_id_follows_rlec_os_map(entry, expected):
    assert _artifact.package_os_id(entry) == expected


def test_package_os_map_matches_ramps():
    """Every entry of RAMP's own RLEC_OS_MAP (ramp-packer, when installed) normalises the same way."""
    metadata_module = pytest.importorskip("RAMP.module_metadata")
    for package_os, rlec_os in metadata_module.RLEC_OS_MAP.items():
        assert _artifact.package_os_id(package_os) == rlec_os, package_os


@pytest.mark.parametrize("operating_systems, node_os, expected", [
    (None, "rhel9", True), ([], "rhel9", True), (["rhel9"], None, True), (["ubuntu22.04"], "ubuntu22", True),
    (["rocky9"], "rhel9", True), (["rocky9"], "rhel8", False), (["ubuntu22.04"], "ubuntu20", False),
])
def test_os_supported(operating_systems, node_os, expected):
    assert _artifact.os_supported(operating_systems, node_os) is expected


def test_inspect_real_withdeps_package(testmodules):
    """The real hello module packaged like RedisGears' -withdeps: the dependency is found under its url's file name."""
    pkg = _artifact.inspect_package(testmodules.withdeps["path"])
    assert pkg.identity() == {"module_name": "hello", "version": 10000, "semantic_version": "1.0.0"}
    assert pkg.dependencies == ["hello_data"] and pkg.warnings == []


# -- one Package type: from the inspector, from the _package facts, from an entry of the role's run ------------------

def test_a_package_travels_as_facts_and_as_a_run_entry_and_stays_the_same(testmodules):
    from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.items import package_entry
    from ansible_collections.redisops.custom_modules.plugins.module_utils._redis_version import FIELDS
    inspected = _artifact.inspect_package(testmodules["hello-1.0.0"]["path"])
    assert _artifact.REDIS_FIELDS == FIELDS
    by_facts = _artifact.Package.from_facts(json.loads(json.dumps(inspected.facts())))
    by_entry = _artifact.Package.from_entry(json.loads(json.dumps(package_entry(inspected, "present"))))
    for package in (by_facts, by_entry):
        assert package.identity() == inspected.identity()
        assert (package.architecture, package.operating_systems, package.size) == \
            (inspected.architecture, inspected.operating_systems, inspected.size)
        assert package.redis_fields() == inspected.redis_fields()
        assert package.metadata["module_name"] == "hello" and package.warnings == []
    assert by_facts.module_file == "hello.so" and by_facts.dependencies == []
    assert by_entry.path == inspected.path
    assert inspected.located("/elsewhere/hello.zip").path == "/elsewhere/hello.zip"


@pytest.mark.parametrize("facts, said", [
    ({"version": 10000}, "_package is missing module_name"),
    ({"module_name": "hello"}, "_package is missing version"),
    ({"module_name": "../x", "version": 1}, "_package module_name: "),
])
def test_package_facts_without_an_identity_are_refused(facts, said):
    with pytest.raises(ValueError, match=said):
        _artifact.Package.from_facts(facts)


def test_package_facts_read_the_version_as_the_modules_do():
    assert _artifact.Package.from_facts({"module_name": "hello", "version": "10000.0"}).version == 10000
