# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One table of package rules, run against both sides: the collection's inspector
(tests/unit/plugins/module_utils/test_package_rules.py) and the emulator's upload endpoint
(tests/contract/test_package_rules.py).

Each case builds a package that differs from a good one in one point, and says what each side does:
`inspector` is None (accepted) or a fragment of the ArtifactError message; `emulator` is None
(200) or (status, error_code, description fragment). A case where the two differ on purpose says
why in `note` (the inspector is stricter than the server in a few places; never the reverse).

OS_CASES pair a package's operating_systems with a node OS (emulator --node-os) and say whether
the node takes it; both check_node (_artifact.check_node_compatibility) and the emulator must agree.
"""

import hashlib
import json
import struct
import zipfile

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DEP_BYTES = b"\x1f\x8b not a real tarball: the checks only hash it"
DEP_SHA = hashlib.sha256(DEP_BYTES).hexdigest()
GEARS_URL = "https://redismodules.s3.amazonaws.com/redisgears/redisgears-python.Linux-ubuntu22.04-x86_64.1.2.7.tgz"
GEARS_FILE = "redisgears-python.Linux-ubuntu22.04-x86_64.1.2.7.tgz"


def elf(machine=62, elf_class=2):
    """A 64-byte ELF header of a shared object (little-endian)."""
    ident = b"\x7fELF" + bytes([elf_class, 1, 1]) + b"\0" * 9
    return ident + struct.pack("<HH", 3, machine) + b"\0" * 44


def good_metadata(name="rules"):
    return {
        "module_name": name, "version": 10000, "semantic_version": "1.0.0", "display_name": "Rules",
        "commands": [{"command_name": "rules.ping", "command_arity": 1, "flags": ["readonly"], "first_key": 0, "last_key": 0, "step": 0}],
        "command_line_args": "", "capabilities": ["no_multi_key"], "min_redis_version": "7.0",
        "compatible_redis_version": "8.2", "architecture": "x86_64", "operating_systems": ["rhel9", "ubuntu22"],
        "module_file": "rules.so", "dependencies": {}, "ramp_format_version": 1,
    }


def build(path, metadata=None, members=None, drop=(), so=None):
    """A package: module.json (good_metadata() updated with `metadata`; a None value deletes the key),
    rules.so, then `members` ({name: bytes}; a name ending in / is a directory entry)."""
    meta = good_metadata()
    for key, value in (metadata or {}).items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    content = {"module.json": json.dumps(meta).encode(), "rules.so": elf() if so is None else so}
    content = {name: data for name, data in content.items() if name not in drop}
    content.update(members or {})
    with zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = ((0o40755 if name.endswith("/") else 0o100644) << 16)
            archive.writestr(info, data)
    return str(path)


class Case(object):
    def __init__(self, case_id, inspector, emulator, note=None, **package):
        self.id = case_id
        self.inspector = inspector
        self.emulator = emulator
        self.note = note
        self.package = package

    def build(self, path):
        return build(path, **self.package)


def _gears_deps(**spec):
    entry = {"url": GEARS_URL, "sha256": DEP_SHA}
    entry.update(spec)
    return {"gears_python": {k: v for k, v in entry.items() if v is not None}}


MISSING_GEARS = "Missing dependency " + GEARS_FILE
NAME_RULE = "a module name is one path segment"

CASES = [
    Case("good", None, None),
    # --- dependencies: deps/<basename(url)> or deps/<name>.tgz, sha256 checked, the missing file named ---
    Case("dep-withdeps-layout", None, None,
         metadata={"dependencies": _gears_deps()}, members={"deps/": b"", "deps/" + GEARS_FILE: DEP_BYTES}),
    Case("dep-withdeps-no-dir-entry", None, None,
         metadata={"dependencies": _gears_deps()}, members={"deps/" + GEARS_FILE: DEP_BYTES}),
    Case("dep-url-stored-as-name-tgz", None, None,
         metadata={"dependencies": _gears_deps()}, members={"deps/gears_python.tgz": DEP_BYTES}),
    Case("dep-ramp-local-path", None, None,
         metadata={"dependencies": {"gears_python": {"sha256": DEP_SHA}}}, members={"deps/gears_python.tgz": DEP_BYTES}),
    Case("dep-list-form", None, None,
         metadata={"dependencies": [{"name": "gears_python", "url": GEARS_URL, "sha256": DEP_SHA}]},
         members={"deps/" + GEARS_FILE: DEP_BYTES}),
    Case("dep-url-with-query", None, None,
         metadata={"dependencies": _gears_deps(url=GEARS_URL + "?X-Amz-Signature=abc#frag")}, members={"deps/" + GEARS_FILE: DEP_BYTES}),
    Case("dep-no-sha256", None, None,
         metadata={"dependencies": _gears_deps(sha256=None)}, members={"deps/" + GEARS_FILE: DEP_BYTES}),
    Case("dep-missing-url", MISSING_GEARS, (406, "invalid_dependency_data", MISSING_GEARS),
         metadata={"dependencies": _gears_deps()}, members={"deps/": b""}),
    Case("dep-missing-wrong-name", MISSING_GEARS, (406, "invalid_dependency_data", MISSING_GEARS),
         metadata={"dependencies": _gears_deps()}, members={"deps/redisgears-python.tgz": DEP_BYTES}),
    Case("dep-missing-local", "Missing dependency gears_python.tgz", (406, "invalid_dependency_data", "Missing dependency gears_python.tgz"),
         metadata={"dependencies": {"gears_python": {"sha256": DEP_SHA}}}),
    Case("dep-bad-sha256", "does not match the sha256", (406, "invalid_dependency_data", "does not match its sha256"),
         metadata={"dependencies": _gears_deps(sha256="00" * 32)}, members={"deps/" + GEARS_FILE: DEP_BYTES}),
    Case("dep-undeclared-file", None, None, members={"deps/": b"", "deps/extra.tgz": DEP_BYTES},
         note="RAMP hands every deps/ file over; the inspector only warns"),
    # --- RAMP's unpacker: file count ---
    Case("stray-readme", "(invalid_number_of_files)", (400, "invalid_number_of_files", "README.md"), members={"README.md": b"hi"}),
    Case("stray-folder", "(invalid_number_of_files)", (400, "invalid_number_of_files", "docs/"), members={"docs/": b""}),
    Case("two-so", "more than one .so file", (400, "invalid_number_of_files", "more than one .so"), members={"other.so": elf()}),
    Case("so-under-deps", "more than one .so file", (400, "invalid_number_of_files", "more than one .so"), members={"deps/helper.so": elf()}),
    # --- module_file ---
    Case("module-file-absent", "lacks module_file", (406, "module_file_missing", "empty module file name"), metadata={"module_file": None}),
    Case("module-file-empty", "lacks module_file", (406, "module_file_missing", "empty module file name"), metadata={"module_file": ""}),
    Case("module-file-not-in-zip", "no such member", (400, "module_file_missing", "other.so"), metadata={"module_file": "other.so"}),
    # --- architecture field ---
    Case("arch-i386", "Architecture must be 64 bits", (406, "module_architecture_not_supported", "Architecture must be 64 bits"),
         metadata={"architecture": "i386"}),
    Case("arch-amd64-alias", "Architecture must be 64 bits", (406, "module_architecture_not_supported", "Architecture must be 64 bits"),
         metadata={"architecture": "amd64"}),
    Case("arch-missing", "Architecture must be 64 bits", (406, "module_architecture_not_supported", "Architecture must be 64 bits"),
         metadata={"architecture": None}),
    Case("arch-field-vs-elf", "is an ELF for x86_64", (406, "module_architecture_not_supported", "aarch64"),
         metadata={"architecture": "aarch64"}),
    Case("elf-32-bit", "32-bit ELF", (406, "module_architecture_not_supported", "64 bits"), so=elf(elf_class=1)),
    # --- version: int(float(v)) ---
    Case("version-text", None, None, metadata={"version": "10000"}),
    Case("version-float", None, None, metadata={"version": 10000.0}),
    Case("version-float-text", None, None, metadata={"version": "10000.0"}),
    Case("version-exponent", None, None, metadata={"version": "1e4"}),
    Case("version-fraction", None, None, metadata={"version": 10000.7}, note="int(float(v)) truncates: stored as 10000"),
    Case("version-zero", "module_version_missing", (406, "module_version_missing", "Missing version"), metadata={"version": 0}),
    Case("version-empty", "module_version_missing", (406, "module_version_missing", "Missing version"), metadata={"version": ""}),
    Case("version-semver", "module_version_not_integer", (406, "module_version_not_integer", "should be an integer"),
         metadata={"version": "1.0.0"}),
    Case("version-list", "module_version_not_integer", (406, "module_version_not_integer", "should be an integer"),
         metadata={"version": [1]}),
    Case("version-bool", "a boolean is no version", None, metadata={"version": True},
         note="RAMP reads true as 1; the inspector refuses a boolean"),
    # --- operating_systems: letters + digits[.digits] ---
    Case("os-osnick", None, None, metadata={"operating_systems": ["ubuntu22.04", "rhel9.4"]}),
    Case("os-no-version", "module_os_list_invalid", (406, "module_os_list_invalid", "rhel"), metadata={"operating_systems": ["rhel"]}),
    Case("os-no-name", "module_os_list_invalid", (406, "module_os_list_invalid", "22.04"), metadata={"operating_systems": ["22.04"]}),
    Case("os-not-text", "module_os_list_invalid", (406, "module_os_list_invalid", "9"), metadata={"operating_systems": [9]}),
    Case("os-string", "module_os_list_invalid", (406, "module_os_list_invalid", "ubuntu22"), metadata={"operating_systems": "ubuntu22"}),
    Case("os-list-key", "module_os_list_invalid", (406, "module_os_list_invalid", "os_list"), metadata={"os_list": ["linux"]}),
    # --- module names ---
    Case("name-dotdot-path", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "a/../b"}),
    Case("name-slash", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "rg/x"}),
    Case("name-backslash", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "rg\\x"}),
    Case("name-dotdot", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": ".."}),
    Case("name-space", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "my module"}),
    Case("name-tab", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "rg\t"}),
    Case("name-nul", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "rg\x00x"}),
    Case("name-del", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "rg\x7f"}),
    Case("name-129", NAME_RULE, (406, "invalid_module", NAME_RULE), metadata={"module_name": "m" * 129}),
    Case("name-128", None, None, metadata={"module_name": "m" * 128}),
    Case("name-dots-inside", None, None, metadata={"module_name": "my.module-2_x"}),
    Case("name-unicode", None, None, metadata={"module_name": "módulo"}),
    Case("name-empty", "module_name_missing", (406, "module_name_missing", "empty module name"), metadata={"module_name": ""}),
]

# (id, package operating_systems, emulator node OS id (--node-os), node takes it)
OS_CASES = [
    ("ubuntu22.04-on-ubuntu22", ["ubuntu22.04"], "ubuntu22", True),
    ("ubuntu22.04-on-ubuntu20", ["ubuntu22.04"], "ubuntu20", False),
    ("ubuntu22.04-on-rhel9", ["ubuntu22.04"], "rhel9", False),
    ("rhel9.4-on-rhel9", ["rhel9.4"], "rhel9", True),
    ("rhel9.4-on-rocky9", ["rhel9.4"], "rocky9", True),
    ("rhel9.4-on-rhel8", ["rhel9.4"], "rhel8", False),
    ("rocky9-on-rhel9", ["rocky9"], "rhel9", True),
    ("rocky9-on-rocky9", ["rocky9"], "rocky9", True),
    ("rocky9-on-rhel8", ["rocky9"], "rhel8", False),
    ("rocky9-on-ubuntu22", ["rocky9"], "ubuntu22", False),
    ("almalinux8-on-rhel8", ["almalinux8"], "rhel8", True),
    ("mixed-on-ubuntu22", ["rhel9", "ubuntu22.04"], "ubuntu22", True),
    ("none-declared-anywhere", None, "rhel8", True),
]
OS_NODES = ("ubuntu22", "ubuntu20", "rhel9", "rhel8", "rocky9")
