# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: lifecycle_idle
short_description: Whether a step of the module lifecycle has nothing to do on any host of the batch
version_added: 0.2.0
description:
  - Reads the plan of a P(redisops.custom_modules.module_lifecycle#role) run (the fact C(_module_lifecycle_run)) and
    tells whether the task of one step would be skipped on every host of O(hosts), that is whether
    P(redisops.custom_modules.lifecycle_todo#filter) returns nothing for each of them (a step whose work is not per
    host is asked once). Internal to the role; the plan's layout may change.
  - The role includes the file of a step only where there is something to do, and skips that include once for the
    whole batch (C(run_once)) when this filter says the step is idle, instead of skipping its task on every host.
  - The steps and their options are those of P(redisops.custom_modules.lifecycle_todo#filter), with O(hosts) in place
    of C(host).
author:
  - redisops maintainers (@redisops)
options:
  _input:
    description: The plan (C(_module_lifecycle_run)).
    type: dict
    required: true
  what:
    description: The step.
    type: str
    choices: [check, cluster, nodes, cluster_read, upgrade, upgrade_waiting, upgrade_round, remove_objects,
              remove_artifacts, remove_outside, restore, errors]
    required: true
  hosts:
    description: The hosts of the batch (C(ansible_play_batch)).
    type: list
    elements: str
    required: true
  index:
    description: For V(upgrade_round), the round.
    type: int
    default: 0
  prune:
    description: For V(remove_objects) and V(cluster_read), whether the other versions of the present modules are removed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Delete the artifacts of this node, included only when some node of the batch has one to delete
  ansible.builtin.include_tasks: remove_artifacts.yml
  when: not (_module_lifecycle_run | redisops.custom_modules.lifecycle_idle('remove_artifacts', ansible_play_batch))
  run_once: "{{ _module_lifecycle_run | redisops.custom_modules.lifecycle_idle('remove_artifacts', ansible_play_batch) }}"
"""

RETURN = r"""
_value:
  description: V(true) when the step has nothing to do on any host of O(hosts).
  type: bool
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import steps as _steps


def lifecycle_idle(run, what, hosts, **options):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'nodes' not in run:
        raise AnsibleFilterError('lifecycle_idle expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('lifecycle_idle: hosts must be a list of host names (ansible_play_batch)')
    try:
        step = _steps.find(what, {}, 'lifecycle_idle')[0]
        return step.call_idle(run, hosts, options)
    except _steps.StepError as exc:
        raise AnsibleFilterError(str(exc) if str(exc).startswith('lifecycle_idle') else 'lifecycle_idle: %s' % exc)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_idle': lifecycle_idle}
