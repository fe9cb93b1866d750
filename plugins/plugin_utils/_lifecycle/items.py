# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role's settings and items as the user gave them, checked and made entries of the run.

``plan_items`` reads module_lifecycle_artifacts (each package read once, by the inspector the read pass gives it);
``uploads_mode``/``setting_problems`` and ``upgrade_setting`` read module_lifecycle_allow_uploads and
module_lifecycle_upgrade_databases. Every version goes through ``_artifact.parse_version``/``coerce_version`` and
every identity through ``_listing.key_of``: the rules the modules use. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version, module_name_problem, parse_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._listing import key_of


ALLOW_UPLOADS = {'true': 'true', 'yes': 'true', 'on': 'true', '1': 'true',
                 'false': 'false', 'no': 'false', 'off': 'false', '0': 'false',
                 'temporary': 'temporary'}


UPLOADS_HINT = ('Uploads are disabled on this cluster (allow_modules_upload is false): set module_lifecycle_allow_uploads '
                'to true (enable it) or temporary (enable it for this run and restore it afterwards).')


def uploads_mode(value):
    """module_lifecycle_allow_uploads as 'true', 'false' or 'temporary'; None for anything else.

    >>> uploads_mode(True), uploads_mode('Temporary'), uploads_mode('maybe')
    ('true', 'temporary', None)
    """
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return ALLOW_UPLOADS.get(str(value).strip().lower())


def label_of(module_name, version, semantic_version=None):
    """How a version is named in messages: ``hello 1.0.0 (10000)``; ``?`` when the semantic version is unknown."""
    return '%s %s (%s)' % (module_name, semantic_version or '?', version)


def package_entry(package, state, origin=None):
    """A package (``_artifact.Package``) as an entry of the run; ``Package.from_entry`` reads it back.

    ``origin`` is the url a downloaded package came from (without credentials or query), kept for messages; its
    ``src`` is then the verified copy in the controller's cache.
    """
    version = coerce_version(package.version, package.version)
    entry = dict(src=package.path, module_name=package.module_name, version=version,
                 semantic_version=package.semantic_version, architecture=package.architecture,
                 operating_systems=list(package.operating_systems or []), state=state, size=package.size,
                 redis_fields=package.redis_fields(), key=key_of(package.module_name, version),
                 label=label_of(package.module_name, version, package.semantic_version))
    if origin:
        entry['origin'] = origin
    return entry


def absent_entry(module_name, wanted, semantic_version=None):
    """An absent item's entry, or a problem text: ``wanted`` is the version as the user wrote it."""
    version = parse_version(wanted)
    if version is None or version <= 0:
        return None, ('%s needs version (the numeric version, e.g. 10000, or the semantic version, e.g. 1.0.0), got %r'
                      % (module_name, wanted))
    if semantic_version is None and isinstance(wanted, str) and wanted.count('.') == 2:
        semantic_version = wanted.strip()
    return dict(src=None, module_name=module_name, version=version, semantic_version=semantic_version, state='absent',
                key=key_of(module_name, version), label=label_of(module_name, version, semantic_version)), None


# The options of an item that downloads its package (besides url), meaningless without url.
DOWNLOAD_ONLY = ('checksum', 'ca_path', 'validate_certs', 'headers', 'url_username', 'url_password', 'timeout',
                 'allow_http')


def plan_items(items, default_state, inspect, fetch=None):
    """Check the items of module_lifecycle_artifacts and read their packages: ``(present, absent, problems)``.

    ``items`` passed meta/argument_specs.yml (a list of dicts with known keys and a valid state);
    what is checked here is what a spec cannot say: src, url or module_name + version, one of them;
    a module_name item is absent; the version reads as a version; no version listed twice with two
    different packages, nor as present and absent. ``inspect(src)`` returns the package
    (``_artifact.Package``) or raises ValueError with a message naming the file. ``fetch(item, where)``
    returns ``(path, origin)`` for an item with url (a verified copy on the controller and the url as
    messages may show it) or raises ValueError; the package at that path is then inspected like any other.
    """
    present, absent, problems = [], [], []
    for index, item in enumerate(items or []):
        where = 'module_lifecycle_artifacts[%d]' % index
        state = item.get('state') or default_state
        wanted = item.get('version')
        if wanted is None:
            wanted = item.get('semantic_version')
        if item.get('src') or item.get('url'):
            if item.get('src') and item.get('url'):
                problems.append('%s: give either src (a file on the controller) or url (and checksum), not both' % where)
                continue
            if item.get('module_name') or item.get('version') is not None:
                problems.append('%s: give either %s or module_name + version, not both' % (where, 'src' if item.get('src') else 'url'))
                continue
            stray = [name for name in DOWNLOAD_ONLY if item.get('src') and item.get(name) is not None]
            if stray:
                problems.append('%s: %s only apply with url; src is a file on the controller' % (where, ', '.join(stray)))
                continue
            origin, src = None, item.get('src')
            try:
                if item.get('url'):
                    src, origin = fetch(item, where)
                package = inspect(src)
            except ValueError as exc:
                problems.append(_from_origin(str(exc), src, origin))
                continue
            (present if state == 'present' else absent).append(package_entry(package, state, origin))
        elif item.get('module_name'):
            name = str(item['module_name'])
            if state != 'absent':
                problems.append('%s: an item with module_name + version can only be state: absent; give src (the package) '
                                'to have a version present' % where)
                continue
            # the modules' own rule for a module name (one safe path segment)
            problem = module_name_problem(name)
            if problem:
                problems.append('%s: %s' % (where, problem))
                continue
            entry, problem = absent_entry(name, wanted, item.get('semantic_version'))
            if problem:
                problems.append('%s: %s' % (where, problem))
            else:
                absent.append(entry)
        else:
            problems.append('%s: needs src (a package on the controller), url + checksum (a package in an artifact '
                            'repository), or module_name + version with state: absent' % where)
    return _deduplicate(present, absent, problems)


def _from_origin(text, path, origin):
    """A problem with a downloaded package names its url, then where the copy is."""
    if not origin:
        return text
    named = '%s (downloaded to %s)' % (origin, path)
    return text.replace(path, named) if path in text else '%s: %s' % (named, text)


def _deduplicate(present, absent, problems):
    """One entry per version; the same version from two different files is refused (a version is immutable)."""
    seen = {}
    for entry in present:
        other = seen.get(entry['key'])
        if other is not None and other['src'] != entry['src']:
            problems.append('%s is given twice, by %s and %s: a version is immutable, keep one package'
                            % (entry['label'], other.get('origin') or other['src'], entry.get('origin') or entry['src']))
        seen.setdefault(entry['key'], entry)
    gone = {}
    for entry in absent:
        if entry['key'] in seen:
            problems.append('%s is listed both as present and as absent' % entry['label'])
        gone.setdefault(entry['key'], entry)
    return list(seen.values()), list(gone.values()), problems


def setting_problems(allow_uploads):
    """Problems with the role's settings that meta/argument_specs.yml cannot check (allow_uploads is raw)."""
    if uploads_mode(allow_uploads) is None:
        return ['module_lifecycle_allow_uploads must be true, false or temporary (got %s)' % (allow_uploads,)]
    return []


UPGRADE_SETTING_PROBLEM = ('module_lifecycle_upgrade_databases must be false, true (every database that uses an older '
                           'version of a module in module_lifecycle_artifacts) or a list of database names (got %r)')


_BOOLEANS = {'true': True, 'yes': True, 'on': True, '1': True, 'false': False, 'no': False, 'off': False, '0': False, '': False}


def upgrade_setting(value):
    """module_lifecycle_upgrade_databases as ``(wanted, problem)``: wanted is False, True or a list of names.

    >>> upgrade_setting('yes'), upgrade_setting(['orders']), upgrade_setting([])
    ((True, None), (['orders'], None), (False, None))
    """
    if value is None or isinstance(value, bool):
        return bool(value), None
    if isinstance(value, str):
        if value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()], None
        return False, UPGRADE_SETTING_PROBLEM % (value,)
    if isinstance(value, (list, tuple)):
        names = []
        for name in value:
            if not isinstance(name, str) or not name.strip():
                return False, UPGRADE_SETTING_PROBLEM % (list(value),)
            if name.strip() not in names:
                names.append(name.strip())
        return (names or False), None
    return False, UPGRADE_SETTING_PROBLEM % (value,)
