# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Inspection of Redis Enterprise module packages (RAMP zips: module.json + one .so + deps/).

The package is read in place and never trusted: nothing is extracted to disk, module.json is read
with a size limit, and only the ELF header of the module file is looked at. Every problem raises
ArtifactError with a message naming the file, the problem and what to do about it.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import re
import struct
import zipfile
import zlib

MAX_PACKAGE_BYTES = 500 * 1024 * 1024
MAX_METADATA_BYTES = 1024 * 1024
METADATA_NAME = 'module.json'
DEPS_DIR = 'deps/'

# ELF e_machine -> the architecture names Redis Enterprise nodes report
ELF_MACHINES = {3: 'i386', 8: 'mips', 20: 'ppc', 21: 'ppc64', 22: 's390x', 40: 'arm', 62: 'x86_64', 183: 'aarch64', 243: 'riscv'}
_ARCH_ALIASES = {'amd64': 'x86_64', 'x86-64': 'x86_64', 'arm64': 'aarch64'}
_RHEL_LIKE = ('rhel', 'redhat', 'centos', 'rocky', 'almalinux', 'alma', 'oracle', 'ol')
_FIX_ZIP = 're-create the package with ramp pack, or zip only module.json and the .so at the top level (zip -j)'


class ArtifactError(Exception):
    """A module package that cannot be used; msg names the file and the problem."""

    def __init__(self, msg, path=None):
        super(ArtifactError, self).__init__(msg)
        self.msg = msg
        self.path = path


class _Problem(Exception):
    """Raised by the checks; inspect_package() turns it into ArtifactError naming the package."""


class Package:
    """What inspect_package() learnt from a package that passed every check."""

    def __init__(self, path, size, metadata, module_file, architecture, dependencies, warnings):
        self.path = path
        self.size = size
        self.metadata = metadata
        self.module_name = metadata['module_name']
        self.version = metadata['version']
        self.semantic_version = metadata['semantic_version']
        self.module_file = module_file
        self.architecture = architecture
        self.operating_systems = metadata.get('operating_systems') or None
        self.dependencies = dependencies
        self.warnings = warnings

    def identity(self):
        return {'module_name': self.module_name, 'version': self.version, 'semantic_version': self.semantic_version}

    def __repr__(self):
        return 'Package(%r, %s %s, %s)' % (self.path, self.module_name, self.semantic_version, self.architecture)


def inspect_package(path):
    """Check the package at `path` and return a Package; raise ArtifactError on the first problem."""
    try:
        return _inspect(path)
    except _Problem as exc:
        raise ArtifactError('%s: %s' % (path, exc), path)


def _inspect(path):
    if not os.path.exists(path):
        raise _Problem('no such file')
    if not os.path.isfile(path):
        raise _Problem('not a regular file; give the path of the module package (.zip)')
    size = os.path.getsize(path)
    if size > MAX_PACKAGE_BYTES:
        raise _Problem('%d bytes is larger than the %d bytes (500 MB) Redis Enterprise accepts' % (size, MAX_PACKAGE_BYTES))
    if not zipfile.is_zipfile(path):
        raise _Problem('not a zip file; a module package is a zip holding module.json and the module .so (ramp pack makes one)')
    try:
        with zipfile.ZipFile(path) as archive:
            return _inspect_archive(path, size, archive)
    except (zipfile.BadZipfile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise _Problem('damaged or unsupported zip file (%s: %s); re-create the package' % (type(exc).__name__, exc))


def _inspect_archive(path, size, archive):
    infos = archive.infolist()
    names = [info.filename for info in infos]
    for name in names:
        problem = _unsafe_name(name)
        if problem:
            raise _Problem('unsafe member name %r (%s); refusing the package' % (name, problem))
    duplicates = sorted(set(name for name in names if names.count(name) > 1))
    if duplicates:
        raise _Problem('member %r appears more than once; %s' % (duplicates[0], _FIX_ZIP))
    for info in infos:
        if info.flag_bits & 0x1:
            raise _Problem('member %r is encrypted; Redis Enterprise cannot read encrypted packages' % info.filename)

    metadata = _read_metadata(archive, names)
    module_file = _find_module_file(metadata, names)
    architecture = _elf_architecture(archive, module_file)
    declared_arch = metadata.get('architecture')
    if declared_arch is not None and _normalise_arch(declared_arch) != architecture:
        raise _Problem('module.json says architecture %r but %s is an ELF for %s; fix module.json or package the right build'
                       % (declared_arch, module_file, architecture))

    dependencies = _dependencies(metadata.get('dependencies'), 'dependencies')
    optional = _dependencies(metadata.get('optional-dependencies'), 'optional-dependencies')
    dep_members = {}
    for name, spec in list(dependencies.items()) + list(optional.items()):
        member = DEPS_DIR + name + '.tgz'
        if member not in names:
            if spec.get('url') and name in dependencies:
                raise _Problem('dependency %r has only a url (%s): Redis Enterprise does not download dependencies, it reads them from '
                               'the package as %s; add the file (ramp pack with local_path) or build a -withdeps package'
                               % (name, spec['url'], member))
            if name in dependencies:
                raise _Problem('dependency %r is declared in module.json but %s is missing from the package' % (name, member))
            continue
        if spec.get('sha256') and _member_sha256(archive, member) != spec['sha256'].lower():
            raise _Problem('%s does not match the sha256 module.json declares for dependency %r; re-create the package' % (member, name))
        dep_members[member] = name

    warnings = []
    for name in names:
        if name in (METADATA_NAME, module_file, DEPS_DIR) or name in dep_members:
            continue
        if name.startswith(DEPS_DIR):
            warnings.append('%s: %s is not a declared dependency; Redis Enterprise will ignore it' % (path, name))
            continue
        raise _Problem('unexpected member %r: a package holds only module.json, the module .so and deps/; %s' % (name, _FIX_ZIP))

    return Package(path, size, metadata, module_file, architecture, sorted(dependencies), warnings)


def _unsafe_name(name):
    if not name:
        return 'empty name'
    if '\x00' in name:
        return 'NUL byte'
    if '\\' in name:
        return 'backslash'
    if name.startswith('/') or re.match(r'^[A-Za-z]:', name):
        return 'absolute path'
    if '..' in name.split('/'):
        return "'..' component"
    return None


def _read_metadata(archive, names):
    if METADATA_NAME not in names:
        nested = [name for name in names if name.endswith('/' + METADATA_NAME)]
        if nested:
            raise _Problem('module.json must sit at the top level of the zip, found %r; %s' % (nested[0], _FIX_ZIP))
        raise _Problem('module.json missing; every module package carries it at the top level (ramp pack writes it)')
    with archive.open(METADATA_NAME) as handle:
        raw = handle.read(MAX_METADATA_BYTES + 1)
    if len(raw) > MAX_METADATA_BYTES:
        raise _Problem('module.json is larger than %d bytes; this is not a module package' % MAX_METADATA_BYTES)
    try:
        metadata = json.loads(raw.decode('utf-8-sig'))
    except UnicodeDecodeError as exc:
        raise _Problem('module.json is not UTF-8 (%s)' % exc)
    except ValueError as exc:
        raise _Problem('module.json is not valid JSON (%s)' % exc)
    if not isinstance(metadata, dict):
        raise _Problem('module.json must hold a JSON object, not %s' % type(metadata).__name__)
    _check_fields(metadata)
    return metadata


def _is_str_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def coerce_version(value, default=None):
    """Module version as int: accepts 10000, 10000.0 (what ramp pack writes) and '10000'; ``default`` otherwise.

    The one version coercion of this collection (modules, client, inspector). Private to this collection.
    """
    if isinstance(value, bool):
        return default
    number = value
    if isinstance(number, str):
        try:
            number = float(number.strip()) if '.' in number else int(number.strip())
        except ValueError:
            return default
    if isinstance(number, float):
        return int(number) if number.is_integer() else default
    return number if _is_int(number) else default


def _check_fields(metadata):
    """The fields Redis Enterprise documents as required, with their types; coerces version to int."""
    for field in ('module_name', 'version', 'semantic_version', 'display_name', 'commands',
                  'command_line_args', 'capabilities', 'min_redis_version'):
        if field not in metadata or metadata[field] is None:
            raise _Problem('module.json lacks the required field %r' % field)
    if not isinstance(metadata['module_name'], str) or not metadata['module_name'].strip():
        raise _Problem('module.json field module_name must be a non-empty string, got %r' % (metadata['module_name'],))
    version = coerce_version(metadata['version'])
    if version is None or version <= 0:
        raise _Problem('module.json field version must be a positive integer such as 10000 (for 1.0.0), got %r' % (metadata['version'],))
    metadata['version'] = version
    for field in ('semantic_version', 'display_name', 'command_line_args', 'min_redis_version'):
        if not isinstance(metadata[field], str):
            raise _Problem('module.json field %s must be a string, got %r' % (field, metadata[field]))
    if not metadata['semantic_version'].strip():
        raise _Problem('module.json field semantic_version must not be empty (e.g. "1.0.0")')
    if not _is_str_list(metadata['capabilities']):
        raise _Problem('module.json field capabilities must be a list of strings, got %r' % (metadata['capabilities'],))
    if not isinstance(metadata['commands'], list):
        raise _Problem('module.json field commands must be a list of command objects, got %r' % (metadata['commands'],))
    for index, command in enumerate(metadata['commands']):
        _check_command(index, command)
    for field in ('architecture', 'module_file', 'compatible_redis_version', 'min_redis_pack_version'):
        if metadata.get(field) is not None and not isinstance(metadata[field], str):
            raise _Problem('module.json field %s must be a string, got %r' % (field, metadata[field]))
    if metadata.get('operating_systems') is not None and not _is_str_list(metadata['operating_systems']):
        raise _Problem('module.json field operating_systems must be a list of strings such as ["rhel9", "ubuntu22"], got %r'
                       % (metadata['operating_systems'],))


def _check_command(index, command):
    where = 'module.json commands[%d]' % index
    if not isinstance(command, dict):
        raise _Problem('%s must be an object with command_name, command_arity, flags, first_key, last_key, step; got %r' % (where, command))
    if not isinstance(command.get('command_name'), str) or not command['command_name']:
        raise _Problem('%s lacks a command_name string' % where)
    for field in ('command_arity', 'first_key', 'last_key', 'step'):
        if field in command and not _is_int(command[field]):
            raise _Problem('%s (%s) field %s must be an integer, got %r' % (where, command['command_name'], field, command[field]))
    if 'flags' in command and not _is_str_list(command['flags']):
        raise _Problem('%s (%s) field flags must be a list of strings, got %r' % (where, command['command_name'], command['flags']))


def _find_module_file(metadata, names):
    objects = [name for name in names if name.lower().endswith('.so')]
    module_file = metadata.get('module_file')
    if module_file:
        if module_file not in names:
            raise _Problem('module.json names module_file %r but the package has no such member (it holds %s)' % (module_file, ', '.join(sorted(names))))
        others = [name for name in objects if name != module_file]
        if others:
            raise _Problem('more than one shared object (%s); a package holds exactly one module file' % ', '.join(sorted([module_file] + others)))
        return module_file
    if len(objects) != 1:
        found = ', '.join(sorted(objects)) if objects else 'none'
        raise _Problem('expected exactly one module .so at the top level, found %s; %s' % (found, _FIX_ZIP))
    if '/' in objects[0]:
        raise _Problem('module file %r is in a folder and module.json has no module_file naming it; %s' % (objects[0], _FIX_ZIP))
    return objects[0]


def _elf_architecture(archive, member):
    """Architecture of a 64-bit ELF shared object, from the first 20 bytes of its header."""
    with archive.open(member) as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b'\x7fELF':
        raise _Problem('%s is not an ELF file; a Redis module is a Linux shared object built for the node' % member)
    if header[4:5] != b'\x02':
        raise _Problem('%s is a 32-bit ELF file; Redis Enterprise loads only 64-bit modules (x86_64 or aarch64)' % member)
    byte_order = {b'\x01': '<', b'\x02': '>'}.get(header[5:6])
    if byte_order is None:
        raise _Problem('%s has an invalid ELF byte order' % member)
    e_type, e_machine = struct.unpack(byte_order + 'HH', header[16:20])
    if e_type != 3:
        kind = {1: 'a relocatable object (.o)', 2: 'an executable', 4: 'a core dump'}.get(e_type, 'ELF type %d' % e_type)
        raise _Problem('%s is %s, not a shared object; build the module with -shared -fPIC' % (member, kind))
    return ELF_MACHINES.get(e_machine, 'elf-machine-%d' % e_machine)


def _dependencies(value, field):
    """Normalise dependencies (map name -> {url, sha256} or list of {name, url, sha256}) to a dict."""
    if value is None or value == [] or value == {}:
        return {}
    if isinstance(value, list):
        result = {}
        for entry in value:
            if not isinstance(entry, dict) or not isinstance(entry.get('name'), str) or not entry['name']:
                raise _Problem('module.json %s entries must be objects with a name, got %r' % (field, entry))
            result[entry['name']] = entry
        value = result
    if not isinstance(value, dict):
        raise _Problem('module.json %s must be an object mapping names to {url, sha256}, got %r' % (field, value))
    for name, spec in value.items():
        if not isinstance(spec, dict):
            raise _Problem('module.json %s[%r] must be an object with url and sha256, got %r' % (field, name, spec))
        if _unsafe_name(name) or '/' in name:
            raise _Problem('module.json %s has an unsafe name %r' % (field, name))
        if spec.get('sha256') is not None and not isinstance(spec['sha256'], str):
            raise _Problem('module.json %s[%r].sha256 must be a string' % (field, name))
    return value


def _member_sha256(archive, member):
    digest = hashlib.sha256()
    with archive.open(member) as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _normalise_arch(name):
    name = str(name).strip().lower()
    return _ARCH_ALIASES.get(name, name)


def _os_id(family, version):
    """'Ubuntu', '22.04.3' -> 'ubuntu22'; rhel-like distributions -> 'rhelN'."""
    family = re.sub(r'[^a-z]', '', (family or '').lower())
    match = re.search(r'\d+', version or '')
    if not family or not match:
        return None
    if family in _RHEL_LIKE:
        family = 'rhel'
    return '%s%d' % (family, int(match.group(0)))


def package_os_id(entry):
    """An operating_systems entry ('rhel9', 'ubuntu22.04', 'rocky8') -> the node form ('rhel9', 'ubuntu22', 'rhel8')."""
    match = re.match(r'\s*([A-Za-z_]+)\s*(\d.*)?$', entry or '')
    return _os_id(match.group(1), match.group(2)) if match else None


def node_os_id(node):
    """The OS of a /v1/nodes object as module packages name it ('rhel9', 'ubuntu22'), or None if unknown."""
    family = node.get('os_family') or node.get('os_name')
    version = node.get('os_semantic_version')
    if family and version:
        return _os_id(family, str(version))
    # fall back to the human-readable form, e.g. "Ubuntu 22.04.2 LTS" or "Rocky Linux 9.3 (Blue Onyx)"
    match = re.match(r'\s*([A-Za-z]+)\D*(\d+)', node.get('os_version') or '')
    return _os_id(match.group(1), match.group(2)) if match else None


def check_node_compatibility(package, node):
    """Reasons the node would refuse or fail to load the package (architecture, OS); [] when none are known."""
    label = 'node %s' % (node.get('uid') if node.get('uid') is not None else node.get('addr', '?'))
    if node.get('addr') and node.get('uid') is not None:
        label += ' (%s)' % node['addr']
    what = 'module %r %s' % (package.module_name, package.semantic_version)
    problems = []
    node_arch = node.get('architecture')
    if node_arch and _normalise_arch(node_arch) != package.architecture:
        problems.append('%s is built for %s but %s runs on %s; upload the %s build of the module'
                        % (what, package.architecture, label, node_arch, node_arch))
    node_os = node_os_id(node)
    if package.operating_systems and node_os:
        supported = [package_os_id(entry) for entry in package.operating_systems]
        if node_os not in supported:
            problems.append('%s supports the operating systems %s, not %s of %s (Redis Enterprise refuses it there); '
                            'upload a package built for %s' % (what, package.operating_systems, node_os, label, node_os))
    return problems
