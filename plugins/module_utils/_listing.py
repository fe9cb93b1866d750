# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters over the lists the API returns (module objects, artifacts): by module_name and numeric version.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version


def version_of(entry):
    """The entry's numeric version as int, or None. Private to this collection."""
    return coerce_version(entry.get('version'))


def select(entries, module_name=None, version=None):
    """The dict entries with this module_name and version (a filter that is None matches any), in list order.

    Private to this collection.
    """
    return [entry for entry in entries or [] if isinstance(entry, dict)
            and (module_name is None or entry.get('module_name') == module_name)
            and (version is None or version_of(entry) == version)]


def sort_key(entry):
    """Orders entries by module_name, then numeric version. Private to this collection."""
    return (str(entry.get('module_name')), version_of(entry) or 0)


class ModuleVersion(namedtuple('ModuleVersion', ['name', 'version'])):
    """The identity of a module version: ``name`` and the numeric ``version`` (read with coerce_version), for module
    objects, artifacts and packages alike. Its ``key``, ``'<name>/<version>'``, is built and taken apart here only.

    >>> ModuleVersion.parse('hello/10000')
    ModuleVersion(name='hello', version=10000)
    >>> ModuleVersion.of('hello', '10000').key
    'hello/10000'

    Private to this collection.
    """
    __slots__ = ()

    @classmethod
    def of(cls, module_name, version):
        return cls(module_name, coerce_version(version, version))

    @classmethod
    def parse(cls, key):
        """The identity of a key made by ``key`` (the name may itself hold no '/': module_name_problem refuses it)."""
        name, dummy, version = str(key).rpartition('/')
        return cls.of(name, version)

    @property
    def key(self):
        return '%s/%s' % (self.name, self.version)

    def __str__(self):
        return self.key


def key_of(module_name, version):
    """The identity key of a module version (ModuleVersion.key). Private to this collection."""
    return ModuleVersion.of(module_name, version).key
