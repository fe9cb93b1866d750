#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_module_artifact_info
short_description: List the custom module artifacts on one Redis Enterprise node
version_added: 0.1.0
description:
  - Returns the custom (user-defined) module artifacts of B(one node) of a Redis Enterprise Software 8.x cluster, from
    C(GET /v2/local/modules/user-defined/artifacts) on the node O(url) points at.
  - Each node has its own artifacts, so run it once per node, like M(redisops.custom_modules.redis_module_artifact).
    Either on the node itself (O(url) keeps its default C(https://localhost:9443)), or delegated to the controller with
    O(url) set to the node's address.
  - With O(cluster_nodes=true), also the artifacts of every node of the cluster, from C(GET /v1/nodes) through O(url),
    then each node's listing through its address (C(addr)), with the same credentials, scheme, port and TLS settings
    (RV(nodes)). A node that cannot be read is reported with its error instead of failing the task.
  - Read-only; never reports a change.
author:
  - redisops maintainers (@redisops)
extends_documentation_fragment:
  - redisops.custom_modules._connection
  - redisops.custom_modules._attributes.CHECK_MODE_READ_ONLY
  - redisops.custom_modules._attributes.ACTIONGROUP_REDIS
options:
  module_name:
    description:
      - Return only the artifacts of this module, for example V(hello).
      - A name with C(/), C(\), NUL or other control characters, whitespace, that is C(.) or C(..), or longer than 128
        characters is refused before any request.
    type: str
  version:
    description:
      - Return only the artifacts with this numeric version, for example V(10000) for C(1.0.0).
    type: int
  cluster_nodes:
    description:
      - Also read the artifacts of every node of the cluster O(url) belongs to (RV(nodes)).
      - The nodes are reached at C(https://<addr>:<port of url>); their certificates must be valid for that address
        (or its name) under O(ca_path).
    type: bool
    default: false
    version_added: 0.1.0
  skip_nodes:
    description:
      - With O(cluster_nodes=true), nodes not to read, for example those the playbook reads itself, each given by an
        address or a URL whose host is one of the node's C(addr) or C(external_addr) (compared as text, not resolved).
        They are listed in RV(nodes) with C(skipped=true).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
seealso:
  - module: redisops.custom_modules.redis_module_artifact
  - module: redisops.custom_modules.redis_user_module_info
"""

EXAMPLES = r"""
- name: List the artifacts of every node, from the controller
  redisops.custom_modules.redis_module_artifact_info:
    url: "https://{{ ansible_host }}:9443"
    username: viewer@example.com
    password: "{{ vault_redis_viewer_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
  delegate_to: localhost
  register: node_artifacts

- name: Show the versions each node has
  ansible.builtin.debug:
    msg: "{{ node_artifacts.artifacts | map(attribute='version') | list }}"

- name: Check that hello 1.0.0 is on every node
  redisops.custom_modules.redis_module_artifact_info:
    url: "https://{{ ansible_host }}:9443"
    username: viewer@example.com
    password: "{{ vault_redis_viewer_password }}"
    module_name: hello
    version: 10000
  delegate_to: localhost
  register: hello
  failed_when: hello.artifacts | length != 1
"""

RETURN = r"""
artifacts:
  description:
    - The node's artifacts that match the filters, as C(GET /v2/local/modules/user-defined/artifacts) returns them
      (versions as integers), sorted by C(module_name) and C(version).
    - An empty list when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    module_name:
      description: Name of the module.
      type: str
      sample: hello
    version:
      description: Numeric version.
      type: int
      sample: 10000
    dependencies:
      description: Names of the dependencies extracted with the artifact.
      type: list
      elements: str
      sample: []
  sample:
    - module_name: hello
      version: 10000
      dependencies: []
    - module_name: hello
      version: 20000
      dependencies: []
nodes:
  description:
    - With O(cluster_nodes=true), every node of the cluster (C(GET /v1/nodes)), in the order listed, with the
      artifacts that match the filters.
  returned: when O(cluster_nodes=true)
  type: list
  elements: dict
  contains:
    uid:
      description: The node's uid.
      type: raw
      sample: 2
    addr:
      description: The node's address (C(addr)).
      type: str
      sample: 10.0.0.12
    url:
      description: The URL the node was read at; none when it has no address.
      type: str
      sample: https://10.0.0.12:9443
    skipped:
      description: Whether the node is one of O(skip_nodes) (not read).
      type: bool
    artifacts:
      description: The node's artifacts, like RV(artifacts); none when the node was skipped or could not be read.
      type: list
      elements: dict
    error:
      description: Why the node could not be read; none when it was read.
      type: str
  sample:
    - uid: 1
      addr: 10.0.0.11
      url: https://10.0.0.11:9443
      skipped: true
      artifacts: null
      error: null
    - uid: 2
      addr: 10.0.0.12
      url: https://10.0.0.12:9443
      skipped: false
      artifacts: [{module_name: hello, version: 20000, dependencies: []}]
      error: null
"""

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _listing
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import module_name_problem
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module


def select(artifacts, module_name=None, version=None):
    """The entries matching the filters, sorted by module_name and version."""
    return sorted(_listing.select(artifacts, module_name, version), key=_listing.sort_key)


def node_names(node):
    """The addresses a node is known by in GET /v1/nodes (addr and external_addr), lower case."""
    external = node.get('external_addr') or []
    if not isinstance(external, list):
        external = [external]
    return set(str(name).strip('[]').lower() for name in [node.get('addr')] + external if name)


def skip_names(skip_nodes):
    """The host part of each entry of skip_nodes (an address, or a URL), lower case."""
    names = set()
    for entry in skip_nodes or []:
        entry = str(entry).strip()
        host = urlsplit(entry).hostname if '://' in entry else entry.strip('[]')
        if host:
            names.add(host.lower())
    return names


def cluster_nodes(client, skip_nodes, module_name=None, version=None):
    """Every node of the client's cluster with its artifacts (or why they could not be read)."""
    skipped = skip_names(skip_nodes)
    out = []
    for node in client.list_nodes():
        if not isinstance(node, dict):
            continue
        entry = dict(uid=node.get('uid'), addr=node.get('addr'), url=None, skipped=bool(node_names(node) & skipped),
                     artifacts=None, error=None)
        out.append(entry)
        if not node.get('addr'):
            entry['error'] = 'GET /v1/nodes gives no address (addr) for this node'
            continue
        entry['url'] = client.node_url(node['addr'])
        if entry['skipped']:
            continue
        sibling = client.for_url(entry['url'])
        try:
            entry['artifacts'] = select(sibling.list_artifacts(), module_name, version)
        except RedisEnterpriseError as exc:
            entry['error'] = exc.msg
        finally:
            sibling.close()
    return out


def main():
    module = _argspec.create_module(dict(
        module_name=dict(type='str'),
        version=dict(type='int'),
        cluster_nodes=dict(type='bool', default=False),
        skip_nodes=dict(type='list', elements='str', default=[]),
    ))
    problem = module_name_problem(module.params['module_name']) if module.params['module_name'] is not None else None
    if problem:
        module.fail_json(msg='module_name: %s. Nothing was sent to the cluster' % problem)
    client = _argspec.client_from_module(module)
    params = module.params
    result = dict(changed=False)
    try:
        result['artifacts'] = select(client.list_artifacts(), params['module_name'], params['version'])
        if params['cluster_nodes']:
            result['nodes'] = cluster_nodes(client, params['skip_nodes'], params['module_name'], params['version'])
    except RedisEnterpriseError as exc:
        fail_module(module, exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
