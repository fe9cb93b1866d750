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
    that is the absent versions, and with O(prune) the other versions of the present modules once the cluster is complete
    (every node of it lists every present package, from the whole-cluster read). A cluster with an error is left alone.
    With O(host), only the clusters it leads.
  - V(artifact_removals), the artifacts to delete from O(host), C([{module_name, version, key}]).
  - "V(cluster_reads), the clusters to read whole (every node, those outside this batch at their address),
    C([{cluster, url, leader, skip, upgrade, prune}]): those without an error whose nodes in this batch list every present
    package, with a database upgrade due or, with O(prune), something prune would remove; C(skip) the URLs of this
    batch's nodes. Empty when no cluster has either (no read at all)."
  - V(outside_removals), the pruned artifacts to delete from the nodes of a cluster outside the play (job slices,
    C(--limit), earlier serial batches), C([{cluster, leader, node, url, module_name, version, key}]).
  - V(upgrade_rounds), C([0, 1, ...]), one round per database of the cluster with the most database upgrades due
    now (C(module_lifecycle_upgrade_databases)); a cluster's upgrades are due once the cluster is complete (the
    whole-cluster read) and while it has no error.
  - V(upgrades), the database O(host) upgrades in round O(index),
    C([{cluster, url, leader, uid, name, upgrades, node_urls, label}]) or C([]) (O(host) leads no cluster with an
    upgrade due, the round is past its cluster's databases, or an earlier upgrade of its cluster failed). C(node_urls)
    are every node of the cluster (this batch's at their URLs, the others at their address).
  - V(upgrades_waiting), lines naming the clusters of the batch whose database upgrades do not run now (a node of the
    cluster lacks a present version or cannot be read, or the cluster failed before).
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
    choices: [creates, uploads, object_removals, artifact_removals, upgrade_rounds, upgrades, upgrades_waiting, cluster_reads,
              outside_removals, restore, errors]
    required: true
  host:
    description: The host, for V(creates), V(uploads), V(object_removals), V(artifact_removals), V(upgrades), V(cluster_reads)
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
    description: For V(object_removals) and V(cluster_reads), whether the other versions of the present modules are removed.
    type: bool
    default: false
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

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _lifecycle


def lifecycle_todo(run, what, host=None, hosts=None, prune=False, index=0):
    """Filter: see DOCUMENTATION."""
    if not isinstance(run, Mapping) or 'nodes' not in run:
        raise AnsibleFilterError('lifecycle_todo expects the plan of the module_lifecycle role (_module_lifecycle_run)')
    if what == 'creates':
        return _lifecycle.todo(run, host)
    if what == 'uploads':
        return _lifecycle.host_uploads(run, host)
    if what == 'object_removals':
        return _lifecycle.object_removals(run, prune, host)
    if what == 'artifact_removals':
        return _lifecycle.host_removals(run, host)
    if what == 'cluster_reads':
        return _lifecycle.cluster_reads(run, prune, host)
    if what == 'outside_removals':
        return _lifecycle.outside_removals(run)
    if what == 'upgrade_rounds':
        return _lifecycle.upgrade_rounds(run)
    if what == 'upgrades':
        return _lifecycle.upgrade_todo(run, host, int(index))
    if what == 'upgrades_waiting':
        return _lifecycle.upgrade_waiting(run)
    if what == 'restore':
        return _lifecycle.restore_targets(run, hosts or [])
    if what == 'errors':
        return _lifecycle.cluster_errors(run, host)
    raise AnsibleFilterError('lifecycle_todo: what must be creates, uploads, object_removals, artifact_removals, '
                             'upgrade_rounds, upgrades, upgrades_waiting, cluster_reads, outside_removals, restore or errors, '
                             'not %s' % what)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_todo': lifecycle_todo}
