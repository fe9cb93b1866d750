# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: lifecycle_clusters
short_description: Group the nodes of a batch into Redis Enterprise clusters
version_added: 0.1.0
description:
  - Groups nodes into clusters by their cluster name, in the order the nodes come; the first node of each cluster is
    its C(leader), through which the cluster-wide module objects are read and written.
  - A node without a cluster name belongs to the cluster V(default).
  - Used by the P(redisops.custom_modules.module_lifecycle#role) role.
author:
  - redisops maintainers (@redisops)
options:
  _input:
    description: The nodes, each a dictionary with C(host) (inventory name), C(cluster) (name or empty) and C(url).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: One line per cluster
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.hosts | join(', ') }} (through {{ item.leader }})"
  loop: "{{ nodes | redisops.custom_modules.lifecycle_clusters }}"
  vars:
    nodes:
      - {host: c1-node1, cluster: c1, url: "https://10.0.0.1:9443"}
      - {host: c2-node1, cluster: c2, url: "https://10.0.1.1:9443"}
      - {host: c1-node2, cluster: c1, url: "https://10.0.0.2:9443"}
"""

RETURN = r"""
_value:
  description: One dictionary per cluster, in order of first appearance.
  type: list
  elements: dict
  contains:
    name:
      description: The cluster's name.
      type: str
    leader:
      description: The first host of the cluster.
      type: str
    url:
      description: The leader's url.
      type: str
    hosts:
      description: The hosts of the cluster, in input order.
      type: list
      elements: str
"""

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import plan


def lifecycle_clusters(nodes):
    """Filter: see DOCUMENTATION."""
    if not isinstance(nodes, Sequence) or isinstance(nodes, str) or not all(isinstance(node, Mapping) for node in nodes):
        raise AnsibleFilterError('lifecycle_clusters expects a list of dictionaries with host, cluster and url')
    missing = [index for index, node in enumerate(nodes) if not node.get('host') or not node.get('url')]
    if missing:
        raise AnsibleFilterError('lifecycle_clusters: node %d has no host or no url' % missing[0])
    return plan.group_clusters([dict(node) for node in nodes])


class FilterModule(object):

    def filters(self):
        return {'lifecycle_clusters': lifecycle_clusters}
