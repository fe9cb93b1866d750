# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side checks of an uploaded module package (zip with module.json and one .so).

Every failure raises ApiError with the status and error_code the emulator answers with; the
choices are listed in README.md ("Assumptions where the reference is silent").

RAMP's unpacker rules (file count, module_file, architecture field, version, OS list) follow
RAMP/unpacker.py. Three rules are not re-implemented here but taken from the collection's
plugins/module_utils/_artifact.py, so that the client and the emulator cannot drift apart: the OS
normalisation (os_id/parse_os/os_supported), the module name rule (module_name_problem) and the
version rule (ramp_version). The dependency file rule is implemented here on its own, on purpose:
the contract tests then check the collection's implementation against a second one.
"""

import hashlib
import importlib.util
import json
import os
import struct
import zipfile
from urllib.parse import unquote, urlsplit

from tests.emulator.errors import ApiError


def _load_artifact_rules():
    """The collection's _artifact.py, loaded from the checkout by path (it imports only the standard library)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "plugins", "module_utils", "_artifact.py")
    spec = importlib.util.spec_from_file_location("_redisops_artifact_rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rules = _load_artifact_rules()

MAX_PACKAGE_BYTES = 500 * 1024 * 1024
MAX_MODULE_JSON_BYTES = 1024 * 1024
PACKAGE_ARCHITECTURES = ("x86_64", "aarch64")

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


def coerce_int(value):
    """Return the int for an int or an integral float (JSON numbers such as 2.0), else None. For command fields."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def name_problem(name):
    """None for an acceptable module name, else the reason (the rule the collection applies too)."""
    return rules.module_name_problem(name)


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
            # the version rule of RAMP's unpacker: int(float(value)), so "10000" and 10000.0 are 10000
            if isinstance(value, bool) or rules.ramp_version(value)[1]:
                raise ApiError(406, error_code, "Field '%s' must be an integer, got %s" % (name, json.dumps(value)))
        elif not isinstance(value, kind):
            raise ApiError(406, error_code, "Field '%s' must be %s" % (name, _type_name(kind)))
    if not meta["module_name"].strip():
        raise ApiError(406, error_code, "Field 'module_name' must not be empty")
    problem = name_problem(meta["module_name"])
    if problem:
        raise ApiError(406, error_code, "Invalid module_name: %s" % problem)
    if rules.ramp_version(meta["version"])[0] <= 0:
        raise ApiError(406, error_code, "Field 'version' must be a positive integer")
    for index, cap in enumerate(meta.get("capabilities") or []):
        if not isinstance(cap, str):
            raise ApiError(406, error_code, "Field 'capabilities[%d]' must be a string" % index)
    for index, cmd in enumerate(meta.get("commands") or []):
        _validate_command(index, cmd, error_code)
    out = dict(meta)
    out["version"] = rules.ramp_version(meta["version"])[0]
    return out


def _validate_command(index, cmd, error_code):
    where = "commands[%d]" % index
    if not isinstance(cmd, dict):
        raise ApiError(406, error_code, "Field '%s' must be an object" % where)
    if not isinstance(cmd.get("command_name"), str) or not cmd.get("command_name"):
        raise ApiError(406, error_code, "Field '%s.command_name' must be a non-empty string" % where)
    for key in ("command_arity", "first_key", "last_key", "step"):
        if key in cmd and coerce_int(cmd[key]) is None:
            raise ApiError(406, error_code, "Field '%s.%s' must be an integer" % (where, key))
    if "flags" in cmd and not (isinstance(cmd["flags"], list) and all(isinstance(f, str) for f in cmd["flags"])):
        raise ApiError(406, error_code, "Field '%s.flags' must be an array of strings" % where)


def declared_dependencies(meta):
    """Dependencies declared in module.json as {name: spec} (map form or list-of-objects form)."""
    deps = meta.get("dependencies")
    if not deps:
        return {}
    if isinstance(deps, dict):
        items = list(deps.items())
    elif isinstance(deps, list):
        items = []
        for item in deps:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ApiError(406, "invalid_dependency_data", "Each entry of 'dependencies' must be an object with a 'name'")
            items.append((item["name"], item))
    else:
        raise ApiError(406, "invalid_dependency_data", "'dependencies' must be an object or an array")
    out = {}
    for name, spec in items:
        if not isinstance(spec, dict):
            raise ApiError(406, "invalid_dependency_data", "Dependency '%s' must be an object with url and sha256" % name)
        out[str(name)] = spec
    return out


def dependency_names(meta):
    return sorted(declared_dependencies(meta))


def _dependency_candidates(name, spec):
    """deps/<last path segment of the url> when there is a url (RedisGears -withdeps), and deps/<name>.tgz (ramp pack)."""
    out = []
    url = spec.get("url")
    if isinstance(url, str) and url:
        last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        if last and last not in (".", "..") and "\\" not in last:
            out.append("deps/" + last)
    if "deps/%s.tgz" % name not in out:
        out.append("deps/%s.tgz" % name)
    return out


def _sha256_member(zf, member):
    digest = hashlib.sha256()
    with zf.open(member) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CheckedPackage(object):
    """Result of check_package()."""

    def __init__(self, metadata, module_file, architecture, dependencies):
        self.metadata = metadata
        self.module_name = metadata["module_name"]
        self.version = metadata["version"]
        self.semantic_version = metadata.get("semantic_version")
        self.module_file = module_file
        self.architecture = architecture
        self.dependencies = dependencies   # list of (name, zip member) for the declared dependencies
        self.dep_files = []                # every deps/* file (RAMP hands them all over): extracted


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


def _check_file_count(names):
    """RAMP: module.json, at most one .so (anywhere) and files under deps/; anything else -> invalid_number_of_files."""
    so_files = sorted(n for n in names if n.endswith(".so"))
    stray = sorted(n for n in names if n != "module.json" and not n.endswith(".so") and not n.startswith("deps/"))
    if len(so_files) > 1 or stray:
        detail = ("more than one .so file: %s" % ", ".join(so_files)) if len(so_files) > 1 else ("unexpected file(s): %s" % ", ".join(stray))
        raise ApiError(400, "invalid_number_of_files",
                       "module zip file content invalid: it should contain module.json, one .so file and the deps folder (%s)" % detail)


def _check_metadata_fields(meta, names):
    """RAMP's _validate_metadata, in its order, then the documented fields. Returns (metadata, module_file)."""
    name = meta.get("module_name")
    if not name or not isinstance(name, str):
        raise ApiError(406, "module_name_missing", "module metadata invalid: empty module name")
    problem = name_problem(name)
    if problem:
        raise ApiError(406, "invalid_module", "module metadata invalid: %s" % problem)
    module_file = meta.get("module_file")
    if not module_file or not isinstance(module_file, str):
        raise ApiError(406, "module_file_missing", "module metadata invalid: empty module file name")
    if module_file not in names:
        raise ApiError(400, "module_file_missing", "Module file '%s' named in module.json is not in the zip" % module_file)
    if meta.get("architecture") not in PACKAGE_ARCHITECTURES:
        raise ApiError(406, "module_architecture_not_supported", "module metadata invalid: Architecture must be 64 bits (got %s)"
                       % json.dumps(meta.get("architecture")))
    version, code = rules.ramp_version(meta.get("version"))
    if code == "module_version_missing":
        raise ApiError(406, code, "module metadata invalid: Missing version")
    if code:
        raise ApiError(406, code, "module metadata invalid: Module version should be an integer, got %s" % json.dumps(meta["version"]))
    for key in ("os_list", "operating_systems"):
        if key in meta:
            entries = meta[key]
            if not isinstance(entries, list) or any(rules.parse_os(entry) is None for entry in entries):
                bad = entries if not isinstance(entries, list) else next(e for e in entries if rules.parse_os(e) is None)
                raise ApiError(406, "module_os_list_invalid", "module metadata invalid: Can't parse OS %s in '%s'" % (json.dumps(bad), key))
    meta = dict(meta, version=version)
    return validate_metadata(meta, required=PACKAGE_REQUIRED_FIELDS), module_file


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
    """Check the zip at path against node (dict with os_id, architecture). Raises ApiError.

    node["os_id"] is the node's OS as the shared normalisation names it (e.g. 'rhel9' for a Rocky 9 node).
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ApiError(400, "invalid_module", "Failed to extract bundle: the uploaded file is not a zip archive") from None
    with zf:
        names = zf.namelist()
        for name in names:
            if name.startswith("/") or "\\" in name or ".." in name.split("/") or "\0" in name:
                raise ApiError(400, "invalid_module", "Unsafe member name in the zip: %r" % name)
        _check_file_count(names)
        meta = _read_module_json(zf, names)
        meta, module_file = _check_metadata_fields(meta, names)
        try:
            architecture = _elf_architecture(zf, module_file)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise ApiError(400, "invalid_module", "Failed to extract bundle: %s" % exc) from None
        oses = meta.get("operating_systems")
        if not rules.os_supported(oses, node["os_id"]):
            raise ApiError(406, "os_not_supported", "Module '%s' is not compatible with this node's OS '%s'. Supported operating systems: %s"
                           % (meta["module_name"], node["os_id"], "[" + ", ".join(repr(str(o)) for o in oses) + "]"))
        if meta["architecture"] != node["architecture"]:
            raise ApiError(406, "module_architecture_not_supported", "Module '%s' is built for %s but this node's architecture is %s"
                           % (meta["module_name"], meta["architecture"], node["architecture"]))
        if architecture != meta["architecture"]:
            raise ApiError(406, "module_architecture_not_supported", "Module '%s': %s is an ELF for %s, module.json says %s"
                           % (meta["module_name"], module_file, architecture, meta["architecture"]))
        deps = []
        for dep, spec in sorted(declared_dependencies(meta).items()):
            candidates = _dependency_candidates(dep, spec)
            member = next((c for c in candidates if c in names), None)
            if member is None:
                raise ApiError(406, "invalid_dependency_data", "Missing dependency %s" % candidates[0][len("deps/"):])
            sha = spec.get("sha256")
            if isinstance(sha, str) and sha and _sha256_member(zf, member) != sha.strip().lower():
                raise ApiError(406, "invalid_dependency_data", "Dependency %s does not match its sha256" % member[len("deps/"):])
            deps.append((dep, member))
        checked = CheckedPackage(meta, module_file, architecture, deps)
        checked.dep_files = [n for n in names if n.startswith("deps/") and not n.endswith("/")]
        return checked
