# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: lifecycle_todo
short_description: What the next step of the module lifecycle has to do, from the run's plan
version_added: 0.1.0
description:
  - Reads the plan of a P(redisops.custom_modules.module_lifecycle#role) run (the fact C(_module_lifecycle_run)) and
    returns the work of one step, for the role's looped tasks. Internal to the role; the plan's layout may change.
  - Each step is named after the role's task file that runs it, the same name as for
    P(redisops.custom_modules.lifecycle_record#filter). Each takes only the options listed with it; any other is refused.
  - V(check) (C(check.yml), O(host)), the packages O(host) needs, checked in check mode on the node.
  - V(cluster) (C(cluster.yml), O(host)), the module objects to create, C([{cluster, url, leader, pkg}]); with O(host),
    only those of the clusters whose first host (C(leader)) it is.
  - V(nodes) (C(nodes.yml), O(host)), the packages O(host) must receive (none when its cluster already failed).
  - "V(cluster_read) (C(cluster_read.yml), O(host), O(prune)), the clusters to read whole (every node, those outside
    this batch at their address), C([{cluster, url, leader, skip, upgrade, prune}]): those without an error whose nodes
    in this batch list every present package, with a database upgrade due or, with O(prune), something prune would
    remove; C(skip) the URLs of this batch's nodes. Empty when no cluster has either (no read at all)."
  - V(upgrade) (C(upgrade.yml), no option), C([0, 1, ...]), one round per database of the cluster with the most
    database upgrades due now (C(module_lifecycle_upgrade_databases)); a cluster's upgrades are due once the cluster is
    complete (the whole-cluster read) and while it has no error.
  - V(upgrade_waiting) (C(upgrade.yml), no option), lines naming the clusters of the batch whose database upgrades do
    not run now (a node of the cluster lacks a present version or cannot be read, or the cluster failed before).
  - V(upgrade_round) (C(upgrade_round.yml), O(host), O(index)), the database O(host) upgrades in round O(index),
    C([{cluster, url, leader, uid, name, upgrades, node_urls, label}]) or C([]) (O(host) leads no cluster with an
    upgrade due, the round is past its cluster's databases, or an earlier upgrade of its cluster failed). C(node_urls)
    are every node of the cluster (this batch's at their URLs, the others at their address).
  - V(remove_objects) (C(remove.yml), O(host), O(prune)), the module objects to delete,
    C([{cluster, url, leader, module_name, version, key, label, prune}]), that is the absent versions, and with O(prune)
    the other versions of the present modules once the cluster is complete (every node of it lists every present
    package, from the whole-cluster read). A cluster with an error is left alone. With O(host), only the clusters it
    leads.
  - V(remove_artifacts) (C(remove_artifacts.yml), O(host)), the artifacts to delete from O(host), C([{module_name, version, key}]).
  - V(remove_outside) (C(remove.yml), no option), the pruned artifacts to delete from the nodes of a cluster outside the
    play (job slices, C(--limit), earlier serial batches), C([{cluster, leader, node, url, module_name, version, key}]).
  - V(restore) (C(summary.yml), O(hosts)), where to set C(allow_modules_upload) back to false, C([{cluster, via, url}]),
    through a host of O(hosts).
  - V(errors) (C(errors.yml), O(host)), the errors of the cluster of O(host).
  - The names of release 0.1.0 are deprecated aliases, removed in 0.3.0 (V(creates) for V(cluster), V(uploads) for
    V(nodes), V(cluster_reads) for V(cluster_read), V(upgrade_rounds) for V(upgrade), V(upgrades_waiting) for
    V(upgrade_waiting), V(upgrades) for V(upgrade_round), V(object_removals) for V(remove_objects), V(artifact_removals)
    for V(remove_artifacts), V(outside_removals) for V(remove_outside)).
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
  host:
    description: The host, for V(check), V(cluster), V(nodes), V(cluster_read), V(upgrade_round), V(remove_objects),
      V(remove_artifacts) and V(errors).
    type: str
  index:
    description: For V(upgrade_round), the round (an item of V(upgrade)).
    type: int
    default: 0
  hosts:
    description: For V(restore), the hosts still in the play.
    type: list
    elements: str
  prune:
    description: For V(remove_objects) and V(cluster_read), whether the other versions of the present modules are removed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Upload the packages this node lacks
  redisops.custom_modules.redis_module_artifact:
    url: "{{ _module_lifecycle_run.nodes[inventory_hostname].url }}"
    src: "{{ item.src }}"
  loop: "{{ _module_lifecycle_run | redisops.custom_modules.lifecycle_todo('nodes', host=inventory_hostname) }}"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: A list, as described for each step.
  type: list
  elements: raw
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import steps as _steps

display = Display()


def lifecycle_todo(run, what, **options):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'nodes' not in run:
        raise AnsibleFilterError('lifecycle_todo expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    try:
        step, alias = _steps.find(what, _steps.TODO_ALIASES, 'lifecycle_todo')
        if alias is None:
            return step.call_todo(run, options)
        display.deprecated(_steps.alias_message('lifecycle_todo', alias, step), version='0.3.0',
                           collection_name='redisops.custom_modules')
        return _steps.todo_alias(step, run, options)
    except _steps.StepError as exc:
        raise AnsibleFilterError(str(exc) if str(exc).startswith('lifecycle_todo') else 'lifecycle_todo: %s' % exc)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_todo': lifecycle_todo}
