#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_user_module_info
short_description: List the module objects of a Redis Enterprise cluster
version_added: 0.1.0
description:
  - Returns the cluster-wide module objects from C(GET /v1/modules) of a Redis Enterprise Software 8.x cluster.
  - By default only user-defined (custom) modules are returned; the modules bundled with Redis Enterprise
    (C(search), C(ReJSON), C(timeseries), C(bf)) are left out unless O(include_bundled=true).
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
      - Return only the objects of this module, for example V(hello).
      - A name with C(/), C(\), NUL or other control characters, whitespace, that is C(.) or C(..), or longer than 128
        characters is refused before any request.
    type: str
  version:
    description:
      - Return only the objects with this numeric version, for example V(10000) for C(1.0.0).
    type: int
  include_bundled:
    description:
      - Also return the modules bundled with Redis Enterprise (C(is_bundled=true)).
    type: bool
    default: false
  databases:
    description:
      - Also return RV(databases), the cluster's databases with the modules each uses (one more request,
        C(GET /v1/bdbs)), to see which databases still use a version before removing it. The
        P(redisops.custom_modules.module_lifecycle#role) role reads them this way with C(module_lifecycle_run_from=node)
        and C(module_lifecycle_upgrade_databases).
    type: bool
    default: false
seealso:
  - module: redisops.custom_modules.redis_user_module
  - module: redisops.custom_modules.redis_module_artifact_info
"""

EXAMPLES = r"""
- name: List the custom modules of the cluster
  redisops.custom_modules.redis_user_module_info:
    url: https://re-node1.example.com:9443
    username: viewer@example.com
    password: "{{ vault_redis_viewer_password }}"
  register: custom_modules

- name: Show module names and versions
  ansible.builtin.debug:
    msg: "{{ custom_modules.modules | map(attribute='semantic_version') | list }}"

- name: Check that hello 1.0.0 is registered
  redisops.custom_modules.redis_user_module_info:
    module_name: hello
    version: 10000
  register: hello
  failed_when: hello.modules | length != 1

- name: List every module, bundled ones included
  redisops.custom_modules.redis_user_module_info:
    include_bundled: true
  register: all_modules
"""

RETURN = r"""
modules:
  description:
    - The module objects that match the filters, as C(GET /v1/modules) returns them, sorted by C(module_name) and
      C(version).
    - An empty list when none matches.
  returned: always
  type: list
  elements: dict
  sample:
    - uid: 7e9f0c2a1b3d4e5f60718293a4b5c6d7
      module_name: hello
      version: 10000
      semantic_version: 1.0.0
      display_name: Hello
      author: redisops
      command_line_args: ""
      capabilities: [types, replica_of, backup_restore, failover_migrate, persistence_rdb]
      min_redis_version: "7.0"
      is_bundled: false
databases:
  description:
    - With O(databases=true), every database of the cluster (C(GET /v1/bdbs)) with C(uid), C(name), C(redis_version),
      C(version) and C(module_list) (each entry's C(module_id), C(module_name) and C(semantic_version)), sorted by C(uid).
  returned: when O(databases=true)
  type: list
  elements: dict
  sample:
    - uid: 1
      name: orders
      redis_version: "8.2"
      version: 8.2.1
      module_list: [{module_id: 7e9f0c2a1b3d4e5f60718293a4b5c6d7, module_name: hello, semantic_version: 1.0.0}]
"""

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _listing
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import module_name_problem
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module


def select(modules, module_name=None, version=None, include_bundled=False):
    selected = [obj for obj in _listing.select(modules, module_name, version)
                if include_bundled or not obj.get("is_bundled", False)]
    return sorted(selected, key=lambda obj: _listing.sort_key(obj) + (str(obj.get("uid")),))


def database_view(bdb):
    """The fields of a bdb object that say which module versions it uses."""
    return dict(uid=bdb.get("uid"), name=bdb.get("name"), redis_version=bdb.get("redis_version"), version=bdb.get("version"),
                module_list=[dict(module_id=e.get("module_id"), module_name=e.get("module_name"),
                                  semantic_version=e.get("semantic_version"))
                             for e in bdb.get("module_list") or [] if isinstance(e, dict)])


def main():
    module = _argspec.create_module(dict(
        module_name=dict(type="str"),
        version=dict(type="int"),
        include_bundled=dict(type="bool", default=False),
        databases=dict(type="bool", default=False),
    ))
    problem = module_name_problem(module.params["module_name"]) if module.params["module_name"] is not None else None
    if problem:
        module.fail_json(msg="module_name: %s. Nothing was sent to the cluster" % problem)
    client = _argspec.client_from_module(module)
    result = dict(changed=False)
    try:
        modules = client.list_modules()
        if module.params["databases"]:
            bdbs = [database_view(b) for b in client.list_bdbs() or [] if isinstance(b, dict)]
            result["databases"] = sorted(bdbs, key=lambda b: (str(type(b["uid"])), b["uid"]))
    except RedisEnterpriseError as exc:
        fail_module(module, exc)
    result["modules"] = select(modules, module.params["module_name"], module.params["version"], module.params["include_bundled"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
