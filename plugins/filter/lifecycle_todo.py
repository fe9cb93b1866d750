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
  - V(creates), the module objects to create, C([{cluster, url, leader, pkg}]); with O(host), only those of the
    clusters whose first host (C(leader)) it is.
  - V(uploads), the packages O(host) must receive (none when its cluster already failed).
  - V(object_removals), the module objects to delete, C([{cluster, url, leader, module_name, version, key, label, prune}]),
    that is the absent versions, and with O(prune) the other versions of the present modules once every node of the
    cluster in the play lists them (O(play_runs)). A cluster with an error is left alone. With O(host), only the
    clusters whose first host it is.
  - V(artifact_removals), the artifacts to delete from O(host), C([{module_name, version, key}]).
  - V(prune_reads), with O(prune), the clusters to read whole before prune, C([{cluster, url, leader, skip}]), those
    where prune has something to remove and every node of the play is verified; C(skip) the URLs of this batch's nodes
    (the others are read at their address). With O(host), only the clusters whose first host it is.
  - V(outside_removals), the pruned artifacts to delete from the nodes of a cluster outside the play (job slices,
    C(--limit)), C([{cluster, leader, node, url, module_name, version, key}]).
  - V(upgrade_rounds), C([0, 1, ...]), one round per database of the cluster with the most database upgrades due
    now (C(module_lifecycle_upgrade_databases)); a cluster's upgrades are due once every node of it in the play is
    verified (O(play_runs)) and while it has no error.
  - V(upgrades), the database O(host) upgrades in round O(index),
    C([{cluster, url, leader, uid, name, upgrades, node_urls, label}]) or C([]) (O(host) leads no cluster with an
    upgrade due, the round is past its cluster's databases, or an earlier upgrade of its cluster failed).
  - V(upgrades_waiting), lines naming the clusters of the batch whose database upgrades do not run now (not every
    node of the cluster in the play verified yet, or the cluster failed before).
  - V(restore), where to set C(allow_modules_upload) back to false, C([{cluster, via, url}]), through a host of O(hosts).
  - V(errors), the errors of the cluster of O(host).
author:
  - redisops maintainers (@redisops)
options:
  _input:
    description: The plan (C(_module_lifecycle_run)).
    type: dict
    required: true
  what:
    description: Which work to return.
    type: str
    choices: [creates, uploads, object_removals, artifact_removals, upgrade_rounds, upgrades, upgrades_waiting, prune_reads,
              outside_removals, restore, errors]
    required: true
  host:
    description: The host, for V(creates), V(uploads), V(object_removals), V(artifact_removals), V(upgrades), V(prune_reads)
      and V(errors).
    type: str
  index:
    description: For V(upgrades), the round (an item of V(upgrade_rounds)).
    type: int
    default: 0
  hosts:
    description: For V(restore), the hosts still in the play.
    type: list
    elements: str
  prune:
    description: For V(object_removals) and V(prune_reads), whether the other versions of the present modules are removed.
    type: bool
    default: false
  play_runs:
    description:
      - For V(object_removals), V(prune_reads), V(upgrade_rounds), V(upgrades) and V(upgrades_waiting), the plan
        (C(_module_lifecycle_run)) of each host of the play that has one, by host; a
        host of O(play_hosts) without one has not run yet.
    type: dict
  play_hosts:
    description: The hosts of O(play_runs) (C(ansible_play_hosts_all)).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Upload the packages this node lacks
  redisops.custom_modules.redis_module_artifact:
    url: "{{ _module_lifecycle_run.nodes[inventory_hostname].url }}"
    src: "{{ item.src }}"
  loop: "{{ _module_lifecycle_run | redisops.custom_modules.lifecycle_todo('uploads', host=inventory_hostname) }}"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: A list, as described for each O(what).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common._collections_compat import Mapping

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _lifecycle


def lifecycle_todo(run, what, host=None, hosts=None, prune=False, play_runs=None, play_hosts=None, index=0):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'nodes' not in run:
        raise AnsibleFilterError('lifecycle_todo expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    if what == 'creates':
        return _lifecycle.todo(run, host)
    if what == 'uploads':
        return _lifecycle.host_uploads(run, host)
    if what == 'object_removals':
        return _lifecycle.object_removals(run, prune, [(name, (play_runs or {}).get(name)) for name in play_hosts or []], host)
    if what == 'artifact_removals':
        return _lifecycle.host_removals(run, host)
    if what == 'prune_reads':
        return _lifecycle.prune_reads(run, prune, [(name, (play_runs or {}).get(name)) for name in play_hosts or []], host)
    if what == 'outside_removals':
        return _lifecycle.outside_removals(run)
    if what == 'upgrade_rounds':
        return _lifecycle.upgrade_rounds(run, [(name, (play_runs or {}).get(name)) for name in play_hosts or []])
    if what == 'upgrades':
        return _lifecycle.upgrade_todo(run, host, int(index), [(name, (play_runs or {}).get(name)) for name in play_hosts or []])
    if what == 'upgrades_waiting':
        return _lifecycle.upgrade_waiting(run, [(name, (play_runs or {}).get(name)) for name in play_hosts or []])
    if what == 'restore':
        return _lifecycle.restore_targets(run, hosts or [])
    if what == 'errors':
        return _lifecycle.cluster_errors(run, host)
    raise AnsibleFilterError('lifecycle_todo: what must be creates, uploads, object_removals, artifact_removals, '
                             'upgrade_rounds, upgrades, upgrades_waiting, prune_reads, outside_removals, restore or errors, '
                             'not %s' % what)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_todo': lifecycle_todo}
