# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: lifecycle_nodes
short_description: Each host's Redis Enterprise cluster and API address, from the inventory, in one task
version_added: 0.2.0
description:
  - For each host of the input (the batch), its cluster (C(module_lifecycle_cluster), else V(default)) and the URL the
    P(redisops.custom_modules.module_lifecycle#role) role reaches it at (C(module_lifecycle_node_url), else
    C(https://<ansible_host>:9443), from the controller; C(module_lifecycle_local_url), else C(https://localhost:9443),
    with C(module_lifecycle_run_from=node)), read from O(hostvars).
  - O(hostvars) hold the inventory's variables (group and host variables) and the extra variables, not those of the
    play or the role's parameters. The result says RV(_value.uniform) only when the host running the task, O(here),
    gets the same cluster and URL as the role resolves for it with every variable; the role otherwise asks each host.
  - Internal to the role; used so that a batch of 100 hosts does not need a task on every host for this.
author:
  - redisops maintainers (@redisops)
options:
  _input:
    description: The hosts (C(ansible_play_batch)).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: raw
    required: true
  here:
    description: The node of the host running the task, C({host, cluster, url}), as the role resolves it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Every node's cluster and API address, once for the batch
  ansible.builtin.set_fact:
    nodes: "{{ ansible_play_batch | redisops.custom_modules.lifecycle_nodes(hostvars, here=here) }}"
  run_once: true
  vars:
    here:
      host: "{{ inventory_hostname }}"
      cluster: "{{ module_lifecycle_cluster | default('default', true) }}"
      url: "{{ module_lifecycle_node_url }}"
"""

RETURN = r"""
_value:
  description: The nodes and whether they can be used.
  type: dict
  contains:
    nodes:
      description: One C({host, cluster, url}) per host, in input order.
      type: list
      elements: dict
    uniform:
      description: Whether O(here) agrees with what O(hostvars) give for that host.
      type: bool
"""

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import plan


def lifecycle_nodes(hosts, hostvars, here):
    """Filter: see DOCUMENTATION."""
    if not isinstance(hosts, Sequence) or isinstance(hosts, str):
        raise AnsibleFilterError('lifecycle_nodes expects a list of host names (ansible_play_batch)')
    if not isinstance(here, Mapping):
        raise AnsibleFilterError('lifecycle_nodes: here must be a dictionary with host, cluster and url')
    try:
        return plan.inventory_nodes(list(hosts), hostvars, here)
    except KeyError as exc:
        raise AnsibleFilterError('lifecycle_nodes: no variables for host %s' % exc)


class FilterModule(object):

    def filters(self):
        return {'lifecycle_nodes': lifecycle_nodes}
