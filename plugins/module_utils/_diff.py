# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Before/after helpers for ``changed`` and ``diff`` results.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def pick(obj, keys):
    """The ``keys`` of ``obj`` that it has (``{}`` for None). Private to this collection."""
    if not obj:
        return {}
    return dict((key, obj[key]) for key in keys if key in obj)


def changed_fields(before, after, keys=None):
    """Sorted names of the fields that differ between two dicts (either may be None).

    With ``keys``, only those fields are compared; a field missing on one side differs from any
    value on the other. Private to this collection.
    """
    before = before or {}
    after = after or {}
    if keys is None:
        keys = set(before) | set(after)
    missing = object()
    return sorted(key for key in keys if before.get(key, missing) != after.get(key, missing))


def make_diff(before, after, keys=None, before_header=None, after_header=None):
    """The ``diff`` result: ``{'before': ..., 'after': ...}``, limited to ``keys`` when given.

    None (the object does not exist) becomes ``{}``. Private to this collection.
    """
    if keys is not None:
        before, after = pick(before, keys), pick(after, keys)
    diff = dict(before=dict(before or {}), after=dict(after or {}))
    if before_header:
        diff['before_header'] = before_header
    if after_header:
        diff['after_header'] = after_header
    return diff
