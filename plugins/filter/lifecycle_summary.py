# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: lifecycle_summary
short_description: The summary per cluster of a module lifecycle run
version_added: 0.1.0
description:
  - Turns the plan of a P(redisops.custom_modules.module_lifecycle#role) run (the fact C(_module_lifecycle_run)), after
    its last step, into the lines the role prints. Per cluster, C(ok) or C(FAILED), each present package with its module
    object and the number of nodes that list it, each absent version no longer found, what changed (or would change, in
    check mode), what was done to C(allow_modules_upload), and every error.
author:
  - redisops maintainers (@redisops)
options:
  _input:
    description: The plan (C(_module_lifecycle_run)).
    type: dict
    required: true
  check_mode:
    description: Whether the run was in check mode (changes are reported as C(would be)).
    type: bool
    default: false
  allow_uploads:
    description: The role's C(module_lifecycle_allow_uploads); V(temporary) reports the setting as restored.
    type: raw
    default: false
"""

EXAMPLES = r"""
- name: Summary per cluster
  ansible.builtin.debug:
    msg: "{{ _module_lifecycle_run | redisops.custom_modules.lifecycle_summary(ansible_check_mode, 'temporary') }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The lines of the summary.
  type: list
  elements: str
  sample:
    - "cluster c1 (3 node(s) in this run): ok"
    - "  hello 1.0.0 (10000): module object present, nodes ready 3/3"
    - "  no change"
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import report
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import Run


def lifecycle_summary(run, check_mode=False, allow_uploads=False):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'clusters' not in run:
        raise AnsibleFilterError('lifecycle_summary expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    return report.summary(Run.view(run), bool(check_mode), allow_uploads)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_summary': lifecycle_summary}
