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
"""

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _listing
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import module_name_problem
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module


def select(artifacts, module_name=None, version=None):
    """The entries matching the filters, sorted by module_name and version."""
    return sorted(_listing.select(artifacts, module_name, version), key=_listing.sort_key)


def main():
    module = _argspec.create_module(dict(
        module_name=dict(type='str'),
        version=dict(type='int'),
    ))
    problem = module_name_problem(module.params['module_name']) if module.params['module_name'] is not None else None
    if problem:
        module.fail_json(msg='module_name: %s. Nothing was sent to the cluster' % problem)
    client = _argspec.client_from_module(module)
    try:
        artifacts = client.list_artifacts()
    except RedisEnterpriseError as exc:
        fail_module(module, exc)
    module.exit_json(changed=False, artifacts=select(artifacts, module.params['module_name'], module.params['version']))


if __name__ == '__main__':
    main()
