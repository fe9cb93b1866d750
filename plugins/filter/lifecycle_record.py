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
  - V(checks), the check-mode runs of M(redisops.custom_modules.redis_module_artifact) on each node that needs a package
    (with C(module_lifecycle_run_from=node)); their failures are set as C(check_problems), each naming the node.
  - V(creates), the module objects created (loops whose items have C(cluster) and C(pkg)), either the C(results) of one
    loop, or with O(hosts) each host's registered result.
  - V(uploads), the artifacts uploaded (one registered result per host of O(hosts)); then every node of each cluster
    is verified to list every present package.
  - V(objects_removed), the module objects deleted (loops whose items P(redisops.custom_modules.lifecycle_todo#filter)
    chose with V(object_removals)); then each node's artifacts to delete are chosen.
  - V(artifacts_removed), the artifacts deleted (one registered result per host of O(hosts)).
  - V(cluster_nodes), the whole-cluster reads before the database upgrades and prune (the C(results) of a loop of
    M(redisops.custom_modules.redis_module_artifact_info) with C(cluster_nodes=true) over the items
    P(redisops.custom_modules.lifecycle_todo#filter) chose with V(cluster_reads)); a cluster's databases are upgraded
    and prune goes ahead on it only when every node outside this batch could be read and lists every present package.
    Record them before V(upgrades) and V(objects_removed).
  - V(outside_removed), the pruned artifacts deleted from the nodes outside the play (the C(results) of a loop over
    V(outside_removals)).
  - "V(upgrades), one round of database upgrades (one registered result per host of O(hosts), each the loop of
    M(redisops.custom_modules.redis_database_module_upgrade) over what P(redisops.custom_modules.lifecycle_todo#filter)
    chose with V(upgrades)); each database upgraded becomes a change C(db <name>: <module> <from> → <to>), a failure an
    error of its cluster that stops its later databases and its removals."
  - A failed item becomes an error of its cluster, naming the node; the summary reports it and fails the cluster's hosts.
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
    choices: [checks, creates, uploads, objects_removed, artifacts_removed, upgrades, cluster_nodes, outside_removed]
    required: true
  results:
    description:
      - For V(creates) and V(objects_removed) without O(hosts), and for V(cluster_nodes) and V(outside_removed), the
        C(results) of the looped task.
      - For V(checks), V(uploads), V(artifacts_removed), V(upgrades), and V(creates) and V(objects_removed) with O(hosts), each
        host's registered result, in the order of O(hosts).
    type: list
    elements: dict
    required: true
  hosts:
    description: The hosts of O(results), for V(checks), V(uploads), V(artifacts_removed), V(upgrades), and for V(creates) and
      V(objects_removed) when each host ran its own loop.
    type: list
    elements: str
  prune:
    description: For V(objects_removed), whether the other versions of the present modules are removed.
    type: bool
    default: false
  check_mode:
    description:
      - For V(upgrades), whether the run is in check mode; a database the module predicts no upgrade for (its new
        module object is not created yet) is reported with the read pass's prediction.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Record the uploads of every node of the batch
  ansible.builtin.set_fact:
    _module_lifecycle_run: >-
      {{ _module_lifecycle_run | redisops.custom_modules.lifecycle_record('uploads', _registered, hosts=ansible_play_batch) }}
  vars:
    _registered: "{{ ansible_play_batch | map('extract', hostvars) | map(attribute='_module_lifecycle_upload', default={}) | list }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The updated plan (a new dictionary; the input is not changed).
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _lifecycle

STEPS = ('checks', 'creates', 'uploads', 'objects_removed', 'artifacts_removed', 'upgrades', 'cluster_nodes',
         'outside_removed')


def _pairs(hosts, results):
    if hosts is None or len(hosts) != len(results):
        raise AnsibleFilterError('lifecycle_record: hosts must give the host of each result')
    return list(zip(hosts, [result if isinstance(result, Mapping) else {} for result in results]))


def lifecycle_record(run, step, results, hosts=None, prune=False, check_mode=False):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'nodes' not in run:
        raise AnsibleFilterError('lifecycle_record expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    if step not in STEPS:
        raise AnsibleFilterError('lifecycle_record: step must be one of %s, not %s' % (', '.join(STEPS), step))
    # plain copies, without the keys never read (skipped_reason: deprecated in ansible-core 2.21)
    results = [_lifecycle.plain(result) if isinstance(result, Mapping) else {} for result in results or []]
    if step == 'checks':
        return _lifecycle.record_checks(run, _pairs(hosts, results))
    if step == 'creates':
        if hosts is None:
            return _lifecycle.record_creates(run, results)
        return _lifecycle.record_creates(run, [item for dummy, registered in _pairs(hosts, results)
                                               for item in registered.get('results') or []])
    if step == 'uploads':
        return _lifecycle.record_uploads(run, _pairs(hosts, results))
    if step == 'upgrades':
        return _lifecycle.record_upgrades(run, _pairs(hosts, results), bool(check_mode))
    if step == 'artifacts_removed':
        return _lifecycle.record_artifact_removals(run, _pairs(hosts, results))
    if step == 'cluster_nodes':
        return _lifecycle.record_cluster_nodes(run, results)
    if step == 'outside_removed':
        return _lifecycle.record_outside_removals(run, results)
    if hosts is not None:
        results = [item for dummy, registered in _pairs(hosts, results) for item in registered.get('results') or []]
    return _lifecycle.record_object_removals(run, results, prune)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_record': lifecycle_record}
