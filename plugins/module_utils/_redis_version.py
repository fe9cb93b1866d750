# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which Redis database versions of a cluster could load a module package.

Redis Enterprise loads a module into a database only when the module fits the database's Redis
version (the server's rule, as far as public material describes it):

- when the package's ``compatible_redis_version`` is set (not empty), it must equal the
  database's ``major.minor`` exactly ("8.2" fits an 8.2 database, nothing else);
- otherwise ``min_redis_version`` applies, and only its major version must match ("7.0" fits 7.2
  and 7.4 databases, not 8.x).

A package with neither field cannot be judged. The Redis versions a cluster offers are listed per
node in ``GET /v1/nodes``, field ``supported_database_versions``: a list of
``{"db_type": "redis", "redis_version": "7.4", "version": "7.4.2", ...}`` (``redis_version`` is
absent in older documentation, where ``version`` alone is given). Memcached entries are ignored.

A package that fits none of the cluster's versions can be uploaded, but no database can ever use
it: ``check_package`` says so before anything is sent.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# The two module.json fields the rule reads.
FIELDS = ('compatible_redis_version', 'min_redis_version')

_VERSION = re.compile(r'^\s*v?(\d+)(?:\.(\d+)(?:[.\-+~].*)?)?\s*$')


def parse(value):
    """``'7.4'``, ``'7.4.2'``, ``'8.0-big'``, ``'7'`` -> ``(7, 4)``, ``(7, 4)``, ``(8, 0)``, ``(7, 0)``.

    None for a value that is not a version string (None, empty, a number, text).
    """
    if not isinstance(value, str):
        return None
    match = _VERSION.match(value)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def label(version):
    """``(7, 4)`` -> ``'7.4'``."""
    return '%d.%d' % version


def _field(metadata, name):
    """The field's value when it is set: None for a missing, null or blank value."""
    value = metadata.get(name) if isinstance(metadata, dict) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def fits(metadata, db_version):
    """Whether a database at ``db_version`` (``(major, minor)``) could load a package with ``metadata``.

    None when the package names neither version, or names one that cannot be read.
    """
    compatible = _field(metadata, 'compatible_redis_version')
    if compatible is not None:
        wanted = parse(compatible)
        return None if wanted is None else wanted == tuple(db_version)
    minimum = _field(metadata, 'min_redis_version')
    if minimum is not None:
        wanted = parse(minimum)
        return None if wanted is None else wanted[0] == db_version[0]
    return None


def cluster_versions(nodes):
    """The Redis database versions the nodes offer, as sorted ``(major, minor)`` tuples (no duplicates).

    ``nodes`` is ``GET /v1/nodes`` (a list) or one node object. Entries of another ``db_type``
    (memcached) and entries that cannot be read are left out.
    """
    if isinstance(nodes, dict):
        nodes = [nodes]
    found = set()
    for node in nodes or []:
        if not isinstance(node, dict):
            continue
        for entry in node.get('supported_database_versions') or []:
            if not isinstance(entry, dict) or entry.get('db_type', 'redis') != 'redis':
                continue
            version = parse(entry.get('redis_version')) or parse(entry.get('version'))
            if version is not None:
                found.add(version)
    return sorted(found)


def reports_versions(nodes):
    """Whether any node lists supported_database_versions at all (older or trimmed answers may not)."""
    if isinstance(nodes, dict):
        nodes = [nodes]
    return any(isinstance(node, dict) and node.get('supported_database_versions') for node in nodes or [])


class Fit(object):
    """The outcome of comparing one package with a set of database versions.

    ``status`` is one of:

    - ``'fits'``: at least one version fits (``versions`` lists those that do);
    - ``'none'``: the package names a version and no database version fits it;
    - ``'unreadable'``: the version field the rule uses cannot be read as ``major.minor``;
    - ``'no_fields'``: the package names neither version;
    - ``'unknown'``: the cluster lists no Redis database versions.

    ``problem`` is the failure message for ``'none'`` and ``'unreadable'``, ``warning`` the warning
    for ``'no_fields'`` and ``'unknown'``; both name the package fields, the cluster's versions and
    what to do.
    """

    def __init__(self, status, versions, offered, problem=None, warning=None):
        self.status = status
        self.versions = versions
        self.offered = offered
        self.problem = problem
        self.warning = warning

    def __repr__(self):
        return 'Fit(%s, %s)' % (self.status, [label(v) for v in self.versions])


def describe_fields(metadata):
    """``compatible_redis_version "6.2", min_redis_version "6.0"`` (only the fields that are set)."""
    parts = []
    for name in FIELDS:
        value = _field(metadata, name)
        if value is not None:
            parts.append('%s %s' % (name, _quote(value)))
    return ', '.join(parts) or 'neither compatible_redis_version nor min_redis_version'


def _quote(value):
    return '"%s"' % value if isinstance(value, str) else repr(value)


def check_package(metadata, offered, what='the package', where='the cluster'):
    """Compare a package's metadata with the database versions ``offered`` (``(major, minor)`` tuples).

    ``what`` names the package and ``where`` the cluster or node in the messages. Returns a Fit.
    """
    offered = sorted(set(tuple(v) for v in offered or []))
    shown = ', '.join(label(v) for v in offered) or 'none'
    fields = describe_fields(metadata)
    if not offered:
        return Fit('unknown', [], offered, warning=(
            '%s does not list the Redis versions its databases can run (supported_database_versions in GET /v1/nodes), '
            'so %s (%s) was not checked against them' % (where, what, fields)))
    compatible = _field(metadata, 'compatible_redis_version')
    minimum = _field(metadata, 'min_redis_version')
    if compatible is None and minimum is None:
        return Fit('no_fields', [], offered, warning=(
            '%s names neither compatible_redis_version nor min_redis_version in its module.json, so it cannot be told '
            'whether the Redis versions of %s (%s) can load it; Redis Enterprise picks a module version for a database by '
            'these fields: set compatible_redis_version to the Redis version (major.minor) the module was built for'
            % (what, where, shown)))
    used = 'compatible_redis_version' if compatible is not None else 'min_redis_version'
    value = compatible if compatible is not None else minimum
    if not isinstance(value, str):
        return Fit('unreadable', [], offered, problem=(
            '%s has %s %r, which is not a string: write it as a string such as "8.2" (quote it in YAML, where 8.10 '
            'would read as 8.1)' % (what, used, value)))
    if parse(value) is None:
        return Fit('unreadable', [], offered, problem=(
            '%s has %s %s, which is not a Redis version such as "8.2"; fix module.json (ramp pack takes it from '
            'ramp.yml) and re-create the package' % (what, used, _quote(value))))
    fitting = [version for version in offered if fits(metadata, version)]
    if fitting:
        return Fit('fits', fitting, offered)
    if compatible is not None:
        rule = 'compatible_redis_version must equal a database\'s Redis version (major.minor)'
        wanted = parse(compatible)
        todo = 'build and package the module for one of %s (set compatible_redis_version to it)' % shown
        if wanted > offered[-1]:
            todo += ', or upgrade the cluster to a Redis Enterprise release that offers Redis %s' % label(wanted)
        elif wanted < offered[0]:
            todo += '; Redis %s is older than every version the cluster offers' % label(wanted)
    else:
        rule = 'without compatible_redis_version, the major version of min_redis_version must match a database\'s'
        todo = ('build and package the module for Redis %s (set compatible_redis_version to the exact version)'
                % ' or '.join(sorted(set('%d.x' % v[0] for v in offered))))
    return Fit('none', [], offered, problem=(
        '%s (%s) fits none of the Redis database versions %s offers (%s): %s, so no database could load it; %s'
        % (what, fields, where, shown, rule, todo)))
