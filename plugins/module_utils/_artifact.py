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
import posixpath
import re
import struct
import zipfile
import zlib

try:
    from urllib.parse import unquote, urlsplit
except ImportError:  # Python 2
    from urllib import unquote  # type: ignore
    from urlparse import urlsplit  # type: ignore

MAX_PACKAGE_BYTES = 500 * 1024 * 1024
# The module.json fields that say which Redis versions can load a package (_redis_version.FIELDS: this file imports
# nothing of the collection, the emulator loads it on its own)
REDIS_FIELDS = ('compatible_redis_version', 'min_redis_version')
MAX_METADATA_BYTES = 1024 * 1024
METADATA_NAME = 'module.json'
DEPS_DIR = 'deps/'

MAX_MODULE_NAME = 128

# ELF e_machine -> the architecture names Redis Enterprise nodes report
ELF_MACHINES = {3: 'i386', 8: 'mips', 20: 'ppc', 21: 'ppc64', 22: 's390x', 40: 'arm', 62: 'x86_64', 183: 'aarch64', 243: 'riscv'}
# The values RAMP's unpacker accepts in module.json's architecture field (others: module_architecture_not_supported)
PACKAGE_ARCHITECTURES = ('x86_64', 'aarch64')
_ARCH_ALIASES = {'amd64': 'x86_64', 'x86-64': 'x86_64', 'arm64': 'aarch64'}
# RAMP's RLEC_OS_MAP folds these distributions into rhelN; a few spellings nodes use are added
_RHEL_LIKE = ('rhel', 'redhat', 'centos', 'rocky', 'almalinux', 'alma', 'oracle', 'ol')
_FIX_ZIP = 're-create the package with ramp pack, or zip only module.json and the .so at the top level (zip -j)'
VERSION_MISSING = 'module_version_missing'
VERSION_NOT_INTEGER = 'module_version_not_integer'
_TEXT_TYPES = (str, type(u''))


class ArtifactError(Exception):
    """A module package that cannot be used; msg names the file and the problem."""

    def __init__(self, msg, path=None):
        super(ArtifactError, self).__init__(msg)
        self.msg = msg
        self.path = path


class _Problem(Exception):
    """Raised by the checks; inspect_package() turns it into ArtifactError naming the package."""


class Package:
    """One module package, wherever it was read: the one type the modules, the action plugins and the role use.

    Built by the inspector (``from_inspection``: inspect_package() read the zip and every check passed), from the
    facts the controller passes to a module (``from_facts``: the ``_package`` option, see ``facts()``), or from an
    entry of the role's run (``from_entry``: the package fields of a plan entry). A package known only by its facts
    has no file to read (``path`` may name it on the controller) and no ``warnings``.
    """

    def __init__(self, module_name, version, semantic_version=None, path=None, size=None, metadata=None,
                 module_file=None, architecture=None, operating_systems=None, dependencies=(), warnings=()):
        self.path = path
        self.size = size
        self.module_name = module_name
        self.version = version
        self.semantic_version = semantic_version
        self.metadata = dict(metadata or {})
        for name, value in (('module_name', module_name), ('version', version), ('semantic_version', semantic_version)):
            self.metadata.setdefault(name, value)
        self.module_file = module_file
        self.architecture = architecture
        self.operating_systems = list(operating_systems) if operating_systems else None
        self.dependencies = list(dependencies or [])
        self.warnings = list(warnings or [])

    @classmethod
    def from_inspection(cls, path, size, metadata, module_file, architecture, dependencies, warnings):
        """What inspect_package() learnt from a package that passed every check."""
        return cls(metadata['module_name'], metadata['version'], metadata['semantic_version'], path=path, size=size,
                   metadata=metadata, module_file=module_file, architecture=architecture,
                   operating_systems=metadata.get('operating_systems'), dependencies=dependencies, warnings=warnings)

    @classmethod
    def from_facts(cls, facts):
        """The package of the ``_package`` option (``facts()`` of a package the controller read); ValueError when it
        lacks the identity or names a module no node could hold."""
        missing = [key for key in ('module_name', 'version') if facts.get(key) is None]
        if missing:
            raise ValueError('_package is missing %s (it is set by the action plugin; do not set it in a task)'
                             % ', '.join(missing))
        problem = module_name_problem(facts['module_name'])
        if problem:
            raise ValueError('_package module_name: %s' % problem)
        metadata = dict((name, facts[name]) for name in REDIS_FIELDS if facts.get(name) is not None)
        return cls(facts['module_name'], coerce_version(facts['version'], facts['version']), facts.get('semantic_version'),
                   path=facts.get('path'), size=facts.get('size'), metadata=metadata, module_file=facts.get('module_file'),
                   architecture=facts.get('architecture'), operating_systems=facts.get('operating_systems'),
                   dependencies=facts.get('dependencies'))

    @classmethod
    def from_entry(cls, entry):
        """The package of a present entry of the role's run (``src``, the identity, ``architecture``,
        ``operating_systems``, ``size``, ``redis_fields``)."""
        metadata = dict((name, value) for name, value in (entry.get('redis_fields') or {}).items() if value is not None)
        return cls(entry['module_name'], entry['version'], entry.get('semantic_version'), path=entry.get('src'),
                   size=entry.get('size'), metadata=metadata, architecture=entry.get('architecture'),
                   operating_systems=entry.get('operating_systems'))

    def facts(self):
        """What a module's node checks need, without the file (the ``_package`` option; ``from_facts`` reads it)."""
        facts = dict(module_name=self.module_name, version=self.version, semantic_version=self.semantic_version,
                     architecture=self.architecture, operating_systems=self.operating_systems,
                     dependencies=list(self.dependencies), module_file=self.module_file, size=self.size)
        facts.update(self.redis_fields())
        return facts

    def redis_fields(self):
        """The module.json fields that say which Redis versions can load it (None: not given)."""
        return dict((name, self.metadata.get(name)) for name in REDIS_FIELDS)

    def located(self, path):
        """The same package, named by ``path`` (the controller's path of a package read through a decrypted copy)."""
        return Package(self.module_name, self.version, self.semantic_version, path=path, size=self.size,
                       metadata=self.metadata, module_file=self.module_file, architecture=self.architecture,
                       operating_systems=self.operating_systems, dependencies=self.dependencies, warnings=self.warnings)

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
    _check_members(names)

    metadata = _read_metadata(archive, names)
    module_file = _find_module_file(metadata, names)
    architecture = _elf_architecture(archive, module_file)
    if metadata['architecture'] != architecture:
        raise _Problem('module.json says architecture %r but %s is an ELF for %s; fix module.json or package the right build'
                       % (metadata['architecture'], module_file, architecture))

    dependencies = _dependencies(metadata.get('dependencies'), 'dependencies')
    optional = _dependencies(metadata.get('optional-dependencies'), 'optional-dependencies')
    dep_members = {}
    for name, spec in list(dependencies.items()) + list(optional.items()):
        candidates = dependency_files(name, spec)
        member = next((candidate for candidate in candidates if candidate in names), None)
        if member is None:
            if name in dependencies:
                raise _Problem(_missing_dependency(name, spec, candidates))
            continue
        declared = spec.get('sha256')
        if declared:
            found = _member_sha256(archive, member)
            if found != declared.strip().lower():
                raise _Problem('%s does not match the sha256 module.json declares for dependency %r (declared %s, the file has %s); '
                               'the package is damaged or was re-packed: download it again or re-create it'
                               % (member, name, declared, found))
        dep_members[member] = name

    warnings = []
    for name in names:
        if name in (METADATA_NAME, module_file, DEPS_DIR) or name in dep_members:
            continue
        if name.startswith(DEPS_DIR) and not name.endswith('/'):
            warnings.append('%s: %s is not a declared dependency; Redis Enterprise extracts it with the module but nothing '
                            'declares it' % (path, name))

    return Package.from_inspection(path, size, metadata, module_file, architecture, sorted(dependencies), warnings)


def _check_members(names):
    """RAMP's file count rule (invalid_number_of_files): module.json, at most one .so, and files under deps/ only."""
    objects = sorted(name for name in names if name.endswith('.so'))
    if len(objects) > 1:
        raise _Problem('more than one .so file (%s): a package holds exactly one module file, and Redis Enterprise refuses '
                       'this one (invalid_number_of_files); keep only the module\'s own .so' % ', '.join(objects))
    stray = [name for name in names if name != METADATA_NAME and not name.endswith('.so') and not name.startswith(DEPS_DIR)]
    if stray and METADATA_NAME in names:  # otherwise the missing or misplaced module.json is the news
        raise _Problem('unexpected member %r: a package holds only module.json, the module .so and files under deps/, and '
                       'Redis Enterprise refuses anything else (invalid_number_of_files); %s' % (stray[0], _FIX_ZIP))


def dependency_files(name, spec):
    """Package members that may hold dependency ``name``, in the order they are looked for.

    A dependency with a url is stored as deps/<last path segment of the url> (RedisGears' -withdeps
    packages; the file Redis Enterprise names when it is missing); ramp pack stores a local_path
    dependency as deps/<name>.tgz. Either is accepted where both could apply. Private to this collection.
    """
    files = []
    url = spec.get('url') if isinstance(spec, dict) else None
    base = url_file_name(url)
    if base:
        files.append(DEPS_DIR + base)
    own = DEPS_DIR + name + '.tgz'
    if own not in files:
        files.append(own)
    return files


def url_file_name(url):
    """The last path segment of ``url`` (percent-decoded), or None when there is no usable one."""
    if not isinstance(url, _TEXT_TYPES) or not url.strip():
        return None
    try:
        base = unquote(posixpath.basename(urlsplit(url.strip()).path))
    except ValueError:
        return None
    if not base or base in ('.', '..') or '\\' in base or '/' in base or any(ord(ch) < 32 for ch in base):
        return None
    return base


def _missing_dependency(name, spec, candidates):
    wanted = candidates[0][len(DEPS_DIR):]
    others = ' (nor %s)' % ', '.join(candidates[1:]) if len(candidates) > 1 else ''
    if spec.get('url'):
        return ('Missing dependency %s: module.json declares dependency %r (url %s) but the package holds no %s%s. Redis '
                'Enterprise never downloads dependencies, it reads them from the package: use the package that carries its '
                'dependencies (RedisGears publishes it as ...-withdeps.zip), or add the file as %s'
                % (wanted, name, spec['url'], candidates[0], others, candidates[0]))
    return ('Missing dependency %s: module.json declares dependency %r but the package holds no %s; re-create the package '
            'with ramp pack (a dependency with local_path is stored as %s)' % (wanted, name, candidates[0], candidates[0]))


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


def ramp_version(value):
    """module.json's version read the way RAMP's unpacker (and so Redis Enterprise) reads it: int(float(value)).

    Returns (version, None), or (None, error_code): 'module_version_missing' for a falsy value (None, 0, ''),
    'module_version_not_integer' when int(float(value)) fails. So 10000, 10000.0 (what ramp pack writes),
    '10000' and '1e4' are 10000, and 10000.5 is 10000 too. The one version rule of this collection:
    coerce_version() is built on it, the inspector and the test emulator use it. Private to this collection.
    """
    if not value:
        return None, VERSION_MISSING
    try:
        return int(float(value)), None
    except (TypeError, ValueError, OverflowError):
        return None, VERSION_NOT_INTEGER


def coerce_version(value, default=None):
    """A numeric module version as int by ramp_version()'s rule, or ``default``.

    Booleans (which RAMP would read as 1) and values RAMP refuses give ``default``. Used for every version
    the collection reads: module.json, module options, API answers. Private to this collection.
    """
    if isinstance(value, bool):
        return default
    version, problem = ramp_version(value)
    return default if problem else version


def module_name_problem(name):
    """None when ``name`` is a safe module name, else a sentence saying what is wrong and what a name may hold.

    Redis Enterprise stores a module under <modules dir>/<module_name>/<version>/, so a name must be one
    path segment: no '/', '\\', NUL or other control characters, no whitespace, not '.' or '..', at most
    128 characters. Used for module.json, the modules' module_name options and the role's items, and by
    the test emulator. Private to this collection.
    """
    rule = ('a module name is one path segment, because Redis Enterprise stores the module under '
            '<modules dir>/<module_name>/<version>/: no /, \\, whitespace or control characters, not . or .., '
            'at most %d characters' % MAX_MODULE_NAME)
    if not isinstance(name, _TEXT_TYPES):
        return 'the module name must be a string, got %r; %s' % (name, rule)
    if not name:
        return 'the module name is empty; %s' % rule
    if len(name) > MAX_MODULE_NAME:
        return 'the module name %r... is %d characters long; %s' % (name[:40], len(name), rule)
    for char in name:
        if char in '/\\':
            what = 'a path separator %r' % char
        elif ord(char) < 32 or 127 <= ord(char) <= 159:
            what = 'a control character (U+%04X)' % ord(char)
        elif char.isspace():
            what = 'whitespace (U+%04X)' % ord(char)
        else:
            continue
        return 'the module name %r contains %s; %s' % (name, what, rule)
    if name in ('.', '..'):
        return 'the module name %r is a relative path segment; %s' % (name, rule)
    return None


_SEMANTIC_VERSION = re.compile(r'^\s*(\d+)\.(\d+)\.(\d+)\s*$')


def semantic_to_version(text):
    """RAMP's numeric version of a semantic version ``'1.2.3'`` (major*10000 + minor*100 + patch), or None.

    Only three dot-separated numbers are a semantic version: ``'10000.0'`` is the float spelling of 10000
    (see coerce_version). Minor and patch must be below 100, or the numbers would collide. Private to this
    collection.
    """
    match = _SEMANTIC_VERSION.match(text) if isinstance(text, str) else None
    if not match:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    if minor > 99 or patch > 99:
        return None
    return major * 10000 + minor * 100 + patch


def parse_version(value, default=None):
    """Any spelling of a module version a user may write, as int: numeric (coerce_version) or semantic (``'1.0.0'``).

    The rule the module_lifecycle role applies to the version of an absent item; the modules read numeric
    versions with coerce_version, which this extends only with the three-part semantic spelling. Private to
    this collection.
    """
    number = coerce_version(value)
    if number is None:
        number = semantic_to_version(value)
    return default if number is None else number


def _check_fields(metadata):
    """RAMP's unpacker rules, then the fields Redis Enterprise documents as required; coerces version to int."""
    name = metadata.get('module_name')
    if not name:
        raise _Problem('module.json lacks the required field %r (Redis Enterprise refuses it: module_name_missing); '
                       'set it to the name the module registers (MODULE LIST shows it)' % 'module_name')
    if not isinstance(name, _TEXT_TYPES) or not name.strip():
        raise _Problem('module.json field module_name must be a non-empty string, got %r' % (name,))
    problem = module_name_problem(name)
    if problem:
        raise _Problem('module.json field module_name: %s; fix module.json (the name the module registers)' % problem)
    module_file = metadata.get('module_file')
    if not module_file:
        raise _Problem('module.json lacks module_file, the name of the module\'s .so in the package (Redis Enterprise refuses '
                       'it: module_file_missing); add "module_file": "<name>.so" (ramp pack writes it)')
    if not isinstance(module_file, _TEXT_TYPES):
        raise _Problem('module.json field module_file must be a string, got %r' % (module_file,))
    architecture = metadata.get('architecture')
    if architecture not in PACKAGE_ARCHITECTURES:
        raise _Problem('module.json field architecture is %s; Redis Enterprise accepts only %s ("Architecture must be 64 bits", '
                       'module_architecture_not_supported): set it to the architecture the .so is built for (ramp pack '
                       'writes it)' % ('missing' if architecture is None else repr(architecture), ' or '.join(PACKAGE_ARCHITECTURES)))
    if metadata.get('version') is None:
        raise _Problem('module.json lacks the required field %r' % 'version')
    version, code = ramp_version(metadata['version'])
    if code == VERSION_MISSING or isinstance(metadata['version'], bool):
        raise _Problem('module.json field version is %s (Redis Enterprise refuses it: %s); set it to the numeric version, '
                       'e.g. 10000 for 1.0.0' % (json.dumps(metadata['version']), VERSION_MISSING if code else 'a boolean is no version'))
    if code == VERSION_NOT_INTEGER:
        raise _Problem('module.json field version %s is not a number (Redis Enterprise refuses it: module_version_not_integer); '
                       'set it to the numeric version, e.g. 10000 for 1.0.0 (major*10000 + minor*100 + patch)'
                       % json.dumps(metadata['version']))
    if version < 1:
        raise _Problem('module.json field version must be a positive integer such as 10000 (for 1.0.0), got %r' % (metadata['version'],))
    metadata['version'] = version
    for field in ('operating_systems', 'os_list'):
        if metadata.get(field) is not None:
            _check_os_list(field, metadata[field])
    for field in ('module_name', 'semantic_version', 'display_name', 'commands', 'command_line_args', 'capabilities',
                  'min_redis_version'):
        if field not in metadata or metadata[field] is None:
            raise _Problem('module.json lacks the required field %r' % field)
    for field in ('semantic_version', 'display_name', 'command_line_args', 'min_redis_version'):
        if not isinstance(metadata[field], _TEXT_TYPES):
            raise _Problem('module.json field %s must be a string, got %r' % (field, metadata[field]))
    if not metadata['semantic_version'].strip():
        raise _Problem('module.json field semantic_version must not be empty (e.g. "1.0.0")')
    if not _is_str_list(metadata['capabilities']):
        raise _Problem('module.json field capabilities must be a list of strings, got %r' % (metadata['capabilities'],))
    if not isinstance(metadata['commands'], list):
        raise _Problem('module.json field commands must be a list of command objects, got %r' % (metadata['commands'],))
    for index, command in enumerate(metadata['commands']):
        _check_command(index, command)
    for field in ('compatible_redis_version', 'min_redis_pack_version'):
        if metadata.get(field) is not None and not isinstance(metadata[field], _TEXT_TYPES):
            raise _Problem('module.json field %s must be a string, got %r' % (field, metadata[field]))


def _check_os_list(field, value):
    """RAMP parses each entry as a name and a version (module_os_list_invalid when it cannot)."""
    entries = value if isinstance(value, list) else None
    bad = None if entries is not None else value
    for entry in entries or []:
        if parse_os(entry) is None:
            bad = entry
            break
    if entries is None or bad is not None:
        raise _Problem('module.json field %s must be a list of operating systems such as ["rhel9", "ubuntu22.04"], each a name '
                       'and a version; %r is not (Redis Enterprise refuses it: module_os_list_invalid)' % (field, bad))


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
    module_file = metadata['module_file']
    if module_file not in names:
        objects = [name for name in names if name.endswith('.so')]
        hint = ('set module_file to %r' % objects[0]) if objects else 'add the module .so to the package'
        raise _Problem('module.json names module_file %r but the package has no such member (it holds %s); %s'
                       % (module_file, ', '.join(sorted(names)), hint))
    return module_file


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


def os_id(family, version):
    """The one OS normalisation: family + major version, RAMP's RLEC_OS_MAP folding rhel-like families into rhel.

    ('Ubuntu', '22.04.3') -> 'ubuntu22'; ('rocky', '9.4') -> 'rhel9'; None when either part is missing.
    Used for package entries (package_os_id), nodes (node_os_id), check_node, the role's preflight and the
    test emulator. Private to this collection.
    """
    family = re.sub(r'[^a-z]', '', (family or '').lower())
    match = re.search(r'\d+', version or '')
    if not family or not match:
        return None
    if family in _RHEL_LIKE or family.startswith('redhat'):
        family = 'rhel'
    return '%s%d' % (family, int(match.group(0)))


def parse_os(entry):
    """An operating_systems entry parsed as RAMP's unpacker does: (name, version) or None.

    The name is the first run of letters (and _), the version the first digits[.digits[.digits]]:
    'ubuntu22.04' -> ('ubuntu', '22.04'), 'rhel9' -> ('rhel', '9'); 'rhel' or 42 -> None.
    """
    if not isinstance(entry, _TEXT_TYPES):
        return None
    name = re.search(r'[a-zA-Z_]+', entry)
    version = re.search(r'(\d+)(\.\d+)?(\.\d+)?', entry)
    if not name or not version:
        return None
    return name.group(0), version.group(0)


def package_os_id(entry):
    """An operating_systems entry ('rhel9', 'ubuntu22.04', 'rocky8') -> the node form ('rhel9', 'ubuntu22', 'rhel8')."""
    parsed = parse_os(entry)
    return os_id(*parsed) if parsed else None


def node_os_id(node):
    """The OS of a /v1/nodes object as module packages name it ('rhel9', 'ubuntu22'), or None if unknown."""
    family = node.get('os_family') or node.get('os_name')
    version = node.get('os_semantic_version')
    if family and version:
        return os_id(family, str(version))
    # fall back to the human-readable form, e.g. "Ubuntu 22.04.2 LTS" or "Red Hat Enterprise Linux 9.4 (Plow)"
    match = re.match(r'\s*([^\d]+?)\s*(\d+)', node.get('os_version') or '')
    if not match:
        return None
    words = match.group(1).lower().split()
    return os_id(words[0] if words[0] != 'red' else 'redhat', match.group(2)) if words else None


def os_supported(operating_systems, node_os):
    """Whether a package declaring ``operating_systems`` may be uploaded to a node whose OS id is ``node_os``.

    True when the package declares none, or when the node's OS is unknown (nothing to compare).
    Private to this collection.
    """
    if not operating_systems or not node_os:
        return True
    return node_os in [package_os_id(entry) for entry in operating_systems]


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
    if not os_supported(package.operating_systems, node_os):
        problems.append('%s supports the operating systems %s, not %s of %s (Redis Enterprise refuses it there); '
                        'upload a package built for %s' % (what, package.operating_systems, node_os, label, node_os))
    return problems
