# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Attribute descriptions shared by the modules of this collection. Private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Descriptions only; each module states its own support level, e.g.
    #   attributes: {check_mode: {support: full}, diff_mode: {support: full}}
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the cluster.
  diff_mode:
    description: Will return details on what has changed (or would change in C(check_mode)) when run in diff mode.
'''

    # Every module of the collection is in the redis_enterprise action group.
    ACTIONGROUP_REDIS = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/redisops.custom_modules.redis_enterprise) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - redisops.custom_modules.redis_enterprise
'''

    # For modules that only read (the *_info modules): they run in check mode and have nothing to diff.
    # Self-contained, so it can be used without DOCUMENTATION.
    CHECK_MODE_READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the cluster.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or would change in C(check_mode)) when run in diff mode.
    support: N/A
    details:
      - This action does not modify state.
'''
