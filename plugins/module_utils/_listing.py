# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters over the lists the API returns (module objects, artifacts): by module_name and numeric version.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

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


def key_of(module_name, version):
    """The one identity key of a module version, ``'<module_name>/<int version>'``, for module objects, artifacts and
    packages alike (the version read with coerce_version). Private to this collection.
    """
    return '%s/%s' % (module_name, coerce_version(version, version))
