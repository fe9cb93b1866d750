# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: lifecycle_record
short_description: Fold the results of one step of the module lifecycle into the run's plan
version_added: 0.1.0
description:
  - Takes the plan of a P(redisops.custom_modules.module_lifecycle#role) run (the fact C(_module_lifecycle_run) that
    M(redisops.custom_modules.redis_module_lifecycle_plan) sets) and the registered results of one step, and returns
    the updated plan. Internal to the role; the plan's layout may change with it.
  - Each step is named after the role's task file that runs it, the same name as for
    P(redisops.custom_modules.lifecycle_todo#filter). O(results) has one shape for every step, each host's registered
    result in the order of O(hosts); a task that runs once (C(run_once)) gives its one result and the host that ran it.
  - V(check) (C(check.yml)), the check-mode runs of M(redisops.custom_modules.redis_module_artifact) on each node that needs
    a package (with C(module_lifecycle_run_from=node)); their failures are set as C(check_problems), each naming the node.
  - V(cluster) (C(cluster.yml)), the module objects created (loops whose items have C(cluster) and C(pkg)).
  - V(nodes) (C(nodes.yml)), the artifacts uploaded; then every node of each cluster is verified to list every present
    package.
  - "V(cluster_read) (C(cluster_read.yml)), the whole-cluster reads before the database upgrades and prune (a loop of
    M(redisops.custom_modules.redis_module_artifact_info) with C(cluster_nodes=true)); a cluster's databases are
    upgraded and prune goes ahead on it only when every node outside this batch could be read and lists every present
    package. Record them before V(upgrade_round) and V(remove_objects)."
  - "V(upgrade_round) (C(upgrade_round.yml)), one round of database upgrades (loops of
    M(redisops.custom_modules.redis_database_module_upgrade)); each database upgraded becomes a change
    C(db <name>: <module> <from> → <to>), a failure an error of its cluster that stops its later databases and its
    removals. Takes O(check_mode)."
  - V(remove_objects) (C(remove.yml)), the module objects deleted; then each node's artifacts to delete are chosen.
    Takes O(prune).
  - V(remove_artifacts) (C(remove_artifacts.yml)), the artifacts deleted from the nodes of the play.
  - V(remove_outside) (C(remove.yml)), the pruned artifacts deleted from the nodes outside the play.
  - A failed item becomes an error of its cluster, naming the node; the summary reports it and fails the cluster's hosts.
  - An option the step does not take is refused. The names of release 0.1.0 are deprecated aliases, removed in 0.3.0,
    and accept 0.1.0's input shapes (V(checks) for V(check), V(creates) for V(cluster), V(uploads) for V(nodes),
    V(cluster_nodes) for V(cluster_read), V(upgrades) for V(upgrade_round), V(objects_removed) for V(remove_objects),
    V(artifacts_removed) for V(remove_artifacts), V(outside_removed) for V(remove_outside)).
author:
  - redisops maintainers (@redisops)
options:
  _input:
    description: The plan (C(_module_lifecycle_run)).
    type: dict
    required: true
  step:
    description: Which step the results come from.
    type: str
    choices: [check, cluster, nodes, cluster_read, upgrade_round, remove_objects, remove_artifacts, remove_outside]
    required: true
  results:
    description: Each host's registered result of the step's task, in the order of O(hosts).
    type: list
    elements: dict
    required: true
  hosts:
    description: The host of each of O(results).
    type: list
    elements: str
    required: true
  prune:
    description: For V(remove_objects) only, whether the other versions of the present modules are removed.
    type: bool
    default: false
  check_mode:
    description:
      - For V(upgrade_round) only, whether the run is in check mode; a database the module predicts no upgrade for (its
        new module object is not created yet) is reported with the read pass's prediction.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Record the uploads of every host of the batch
  ansible.builtin.set_fact:
    _module_lifecycle_run: >-
      {{ _module_lifecycle_run | redisops.custom_modules.lifecycle_record('nodes',
         _module_lifecycle_done | map(attribute='_module_lifecycle_upload') | list,
         hosts=_module_lifecycle_done | map(attribute='inventory_hostname') | list) }}
  run_once: true
  vars:
    _module_lifecycle_done: "{{ ansible_play_batch | map('extract', hostvars) | selectattr('_module_lifecycle_upload', 'defined') | list }}"
"""

RETURN = r"""
_value:
  description: The updated plan (a new dictionary; the input is not changed).
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import plain
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import steps as _steps

display = Display()


def lifecycle_record(run, step, results, hosts=None, **options):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'nodes' not in run:
        raise AnsibleFilterError('lifecycle_record expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    # plain copies, without the keys never read (skipped_reason: deprecated in ansible-core 2.21)
    results = [plain(result) if isinstance(result, Mapping) else {} for result in results or []]
    try:
        found, alias = _steps.find(step, _steps.RECORD_ALIASES, 'lifecycle_record')
        if alias is None:
            return found.call_record(run, results, hosts, options)
        display.deprecated(_steps.alias_message('lifecycle_record', alias, found), version='0.3.0',
                           collection_name='redisops.custom_modules')
        return _steps.record_alias(found, alias, run, results, hosts, options)
    except _steps.StepError as exc:
        raise AnsibleFilterError(str(exc) if str(exc).startswith('lifecycle_record') else 'lifecycle_record: %s' % exc)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_record': lifecycle_record}
