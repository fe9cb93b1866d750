# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side checks of an uploaded module package (zip with module.json and one .so).

Every failure raises ApiError with the status and error_code the emulator answers with; the
choices are listed in README.md ("Assumptions where the reference is silent").
"""

import json
import posixpath
import re
import struct
import zipfile

from tests.emulator.errors import ApiError

MAX_PACKAGE_BYTES = 500 * 1024 * 1024
MAX_MODULE_JSON_BYTES = 1024 * 1024
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$")

# ELF e_machine values -> architecture names used by Redis Enterprise nodes
E_MACHINE = {62: "x86_64", 183: "aarch64", 3: "i386", 40: "arm", 8: "mips", 21: "ppc64", 22: "s390x", 243: "riscv"}

# Fields the documentation lists for module.json / the CCS module object, with their types.
REQUIRED_FIELDS = (
    ("module_name", str),
    ("version", int),
    ("semantic_version", str),
    ("display_name", str),
    ("commands", list),
    ("command_line_args", str),
    ("capabilities", list),
    ("min_redis_version", str),
)
# The artifact page lists a subset for the zip's module.json.
PACKAGE_REQUIRED_FIELDS = ("module_name", "version", "semantic_version", "min_redis_version", "commands", "capabilities")


def coerce_version(value):
    """Return the int version for an int or an integral float (the RAMP packer writes 10000.0), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _type_name(kind):
    return {str: "a string", int: "an integer", list: "an array"}[kind]


def validate_metadata(meta, required=None, error_code="invalid_module"):
    """Validate a module metadata dict; return a copy with version as int. Raises ApiError 406."""
    if not isinstance(meta, dict):
        raise ApiError(406, error_code, "The module object must be a JSON object")
    wanted = dict(REQUIRED_FIELDS)
    names = [name for name, _kind in REQUIRED_FIELDS] if required is None else list(required)
    for name in names:
        if name not in meta or meta[name] is None:
            raise ApiError(406, error_code, "Missing required field '%s'" % name)
        kind = wanted[name]
        value = meta[name]
        if kind is int:
            if coerce_version(value) is None:
                raise ApiError(406, error_code, "Field '%s' must be an integer, got %s" % (name, json.dumps(value)))
        elif not isinstance(value, kind):
            raise ApiError(406, error_code, "Field '%s' must be %s" % (name, _type_name(kind)))
    if not meta["module_name"].strip():
        raise ApiError(406, error_code, "Field 'module_name' must not be empty")
    if coerce_version(meta["version"]) <= 0:
        raise ApiError(406, error_code, "Field 'version' must be a positive integer")
    for index, cap in enumerate(meta.get("capabilities") or []):
        if not isinstance(cap, str):
            raise ApiError(406, error_code, "Field 'capabilities[%d]' must be a string" % index)
    for index, cmd in enumerate(meta.get("commands") or []):
        _validate_command(index, cmd, error_code)
    out = dict(meta)
    out["version"] = coerce_version(meta["version"])
    return out


def _validate_command(index, cmd, error_code):
    where = "commands[%d]" % index
    if not isinstance(cmd, dict):
        raise ApiError(406, error_code, "Field '%s' must be an object" % where)
    if not isinstance(cmd.get("command_name"), str) or not cmd.get("command_name"):
        raise ApiError(406, error_code, "Field '%s.command_name' must be a non-empty string" % where)
    for key in ("command_arity", "first_key", "last_key", "step"):
        if key in cmd and coerce_version(cmd[key]) is None:
            raise ApiError(406, error_code, "Field '%s.%s' must be an integer" % (where, key))
    if "flags" in cmd and not (isinstance(cmd["flags"], list) and all(isinstance(f, str) for f in cmd["flags"])):
        raise ApiError(406, error_code, "Field '%s.flags' must be an array of strings" % where)


def dependency_names(meta):
    """Dependency names declared in module.json (map form or list-of-objects form)."""
    deps = meta.get("dependencies")
    if not deps:
        return []
    if isinstance(deps, dict):
        return sorted(str(name) for name in deps)
    if isinstance(deps, list):
        names = []
        for item in deps:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
            else:
                raise ApiError(406, "invalid_dependency_data", "Each entry of 'dependencies' must be an object with a 'name'")
        return sorted(names)
    raise ApiError(406, "invalid_dependency_data", "'dependencies' must be an object or an array")


def _dependency_member(names, dep):
    candidates = ("deps/%s.tgz" % dep, "deps/%s" % dep)
    for cand in candidates:
        if cand in names:
            return cand
    for name in names:
        base = posixpath.basename(name)
        if base in (dep, dep + ".tgz"):
            return name
    return None


class CheckedPackage(object):
    """Result of check_package()."""

    def __init__(self, metadata, module_file, architecture, dependencies):
        self.metadata = metadata
        self.module_name = metadata["module_name"]
        self.version = metadata["version"]
        self.semantic_version = metadata.get("semantic_version")
        self.module_file = module_file
        self.architecture = architecture
        self.dependencies = dependencies   # list of (name, zip member)


def _read_module_json(zf, names):
    if "module.json" not in names:
        raise ApiError(400, "invalid_module", "module.json missing: it must sit at the root of the zip")
    info = zf.getinfo("module.json")
    if info.file_size > MAX_MODULE_JSON_BYTES:
        raise ApiError(406, "invalid_module", "Failed to read module.json: larger than %d bytes" % MAX_MODULE_JSON_BYTES)
    try:
        with zf.open(info) as handle:
            raw = handle.read(MAX_MODULE_JSON_BYTES + 1)
        meta = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(406, "invalid_module", "Failed to read module.json: %s" % exc) from None
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise ApiError(400, "invalid_module", "Failed to extract bundle: %s" % exc) from None
    if not isinstance(meta, dict):
        raise ApiError(406, "invalid_module", "Failed to read module.json: the top level must be an object")
    return meta


def _check_metadata_fields(meta):
    if not isinstance(meta.get("module_name"), str) or not meta.get("module_name"):
        raise ApiError(406, "module_name_missing", "module.json: 'module_name' is missing or not a string")
    if not SAFE_NAME.match(meta["module_name"]):
        raise ApiError(406, "invalid_module", "module.json: 'module_name' %r has characters that are not allowed" % meta["module_name"])
    if "version" not in meta or meta["version"] is None:
        raise ApiError(406, "module_version_missing", "module.json: 'version' is missing")
    if coerce_version(meta["version"]) is None:
        raise ApiError(406, "module_version_not_integer", "module.json: 'version' must be an integer, got %s" % json.dumps(meta["version"]))
    oses = meta.get("operating_systems")
    if oses is not None and not (isinstance(oses, list) and all(isinstance(o, str) for o in oses)):
        raise ApiError(406, "module_os_list_invalid", "module.json: 'operating_systems' must be an array of strings")
    return validate_metadata(meta, required=PACKAGE_REQUIRED_FIELDS)


def _find_module_file(meta, names):
    so_files = [n for n in names if n.endswith(".so") and not n.startswith("deps/")]
    declared = meta.get("module_file")
    if declared is not None:
        if not isinstance(declared, str) or not declared:
            raise ApiError(406, "module_file_missing", "module.json: 'module_file' must be a non-empty string")
        if declared not in names:
            raise ApiError(400, "module_file_missing", "Module file '%s' named in module.json is not in the zip" % declared)
        return declared
    if not so_files:
        raise ApiError(400, "module_file_missing", "The zip holds no .so module file")
    if len(so_files) > 1:
        raise ApiError(400, "invalid_number_of_files", "The zip holds more than one .so file: %s" % ", ".join(sorted(so_files)))
    return so_files[0]


def _elf_architecture(zf, member):
    with zf.open(member) as handle:
        header = handle.read(64)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        raise ApiError(400, "invalid_module", "'%s' is not an ELF shared object" % member)
    if header[4] != 2:
        raise ApiError(406, "module_architecture_not_supported", "'%s': Architecture must be 64 bits" % member)
    fmt = "<H" if header[5] == 1 else ">H"
    machine = struct.unpack(fmt, header[18:20])[0]
    return E_MACHINE.get(machine, "e_machine_%d" % machine)


def check_package(path, node):
    """Check the zip at path against node (dict with os_id, architecture). Raises ApiError."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ApiError(400, "invalid_module", "Failed to extract bundle: the uploaded file is not a zip archive") from None
    with zf:
        names = zf.namelist()
        for name in names:
            if name.startswith("/") or "\\" in name or ".." in name.split("/"):
                raise ApiError(400, "invalid_module", "Unsafe member name in the zip: %r" % name)
        meta = _read_module_json(zf, names)
        meta = _check_metadata_fields(meta)
        module_file = _find_module_file(meta, names)
        try:
            architecture = _elf_architecture(zf, module_file)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise ApiError(400, "invalid_module", "Failed to extract bundle: %s" % exc) from None
        oses = meta.get("operating_systems")
        if oses and node["os_id"] not in oses:
            raise ApiError(406, "os_not_supported", "Module '%s' is not compatible with this node's OS '%s'. Supported operating systems: %s"
                           % (meta["module_name"], node["os_id"], "[" + ", ".join(repr(str(o)) for o in oses) + "]"))
        if architecture != node["architecture"]:
            raise ApiError(406, "module_architecture_not_supported", "Module '%s' is built for %s (%s) but this node's architecture is %s"
                           % (meta["module_name"], architecture, module_file, node["architecture"]))
        deps = []
        for dep in dependency_names(meta):
            member = _dependency_member(names, dep)
            if member is None:
                raise ApiError(406, "invalid_dependency_data", "Missing dependency deps/%s.tgz" % dep)
            deps.append((dep, member))
        return CheckedPackage(meta, module_file, architecture, deps)
