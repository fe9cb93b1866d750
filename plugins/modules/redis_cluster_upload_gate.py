#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_cluster_upload_gate
short_description: Allow or refuse module uploads on a Redis Enterprise cluster (the allow_modules_upload setting)
version_added: 0.1.0
description:
  - Sets the cluster setting C(allow_modules_upload) of a Redis Enterprise Software cluster with C(PUT /v1/cluster), and
    returns the value it had before (RV(previous)), so that a play can enable uploads for a run and restore the setting
    afterwards.
  - Redis Enterprise 8.2 and later refuse every module upload (the module object and the artifacts) with HTTP 403
    C(modules_upload_disabled) while the setting is V(false), which is the default.
  - Idempotent. The module reads C(GET /v1/cluster) and sends the C(PUT) only when the setting differs from O(allowed).
  - Redis Enterprise before 8.2 (for example 8.0.10) has no such setting and always allows uploads. There the module
    sends nothing, reports no change and returns RV(supported=false), with RV(previous) and RV(allowed) V(null). With
    O(allowed=false) it also warns, since uploads cannot be refused on such a cluster.
  - M(redisops.custom_modules.redis_user_module) and M(redisops.custom_modules.redis_module_artifact) can enable the
    setting themselves when they need to upload (with their C(allow_uploads) option); use this module to restore it
    afterwards, or to manage the setting on its own.
  - The setting is cluster-wide; any node's API can be used. Use C(run_once) or target a single host per cluster.
author:
  - redisops maintainers (@redisops)
extends_documentation_fragment:
  - redisops.custom_modules._connection
  - redisops.custom_modules._attributes
  - redisops.custom_modules._attributes.ACTIONGROUP_REDIS
attributes:
  check_mode:
    support: full
    details:
      - Only C(GET /v1/cluster) is sent in check mode; C(changed) and the returned values predict the real run.
  diff_mode:
    support: full
    details:
      - The diff shows C(allow_modules_upload) before and after (empty on a cluster without the setting).
options:
  allowed:
    description:
      - The value C(allow_modules_upload) must have. V(true) lets modules be uploaded, V(false) makes the cluster refuse
        uploads.
      - Changing it needs the C(update_cluster) permission (the C(admin) role); reading it is allowed to every role, so
        a task that finds the setting as wanted succeeds with any role.
    type: bool
    required: true
notes:
  - The password is never returned and never appears in error messages.
seealso:
  - module: redisops.custom_modules.redis_user_module
  - module: redisops.custom_modules.redis_module_artifact
  - name: Redis Enterprise REST API, cluster object
    description: The C(allow_modules_upload) field of C(/v1/cluster).
    link: https://redis.io/docs/latest/operate/rs/references/rest-api/objects/cluster/
"""

EXAMPLES = r"""
- name: Allow module uploads on the cluster
  redisops.custom_modules.redis_cluster_upload_gate:
    url: https://re-node1.example.com:9443
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    allowed: true
  run_once: true

- name: Allow uploads for this run only, and put the setting back as it was, whatever happens
  module_defaults:
    group/redisops.custom_modules.redis_enterprise:
      url: https://re-node1.example.com:9443
      username: admin@example.com
      password: "{{ vault_redis_admin_password }}"
  block:
    - name: Allow module uploads
      redisops.custom_modules.redis_cluster_upload_gate:
        allowed: true
      run_once: true
      register: upload_gate

    - name: Upload the package to every node
      redisops.custom_modules.redis_module_artifact:
        url: "https://{{ ansible_host }}:9443"
        src: files/hello-1.0.0.zip
      delegate_to: localhost
  always:
    - name: Refuse uploads again when they were refused before this run
      redisops.custom_modules.redis_cluster_upload_gate:
        allowed: false
      run_once: true
      when: upload_gate.previous | default(none) is false

- name: Refuse module uploads (a no-op on clusters before 8.2, which have no such setting)
  redisops.custom_modules.redis_cluster_upload_gate:
    allowed: false
  run_once: true
"""

RETURN = r"""
previous:
  description:
    - The value of C(allow_modules_upload) before the task.
    - V(null) when the cluster has no such setting (RV(supported=false)).
  returned: always
  type: bool
  sample: false
allowed:
  description:
    - The value of C(allow_modules_upload) after the task (in check mode, the value it would have).
    - V(null) when the cluster has no such setting (RV(supported=false)); such a cluster always allows uploads.
  returned: always
  type: bool
  sample: true
supported:
  description:
    - Whether the cluster has the C(allow_modules_upload) setting (Redis Enterprise 8.2 and later).
    - When V(false), nothing was sent and nothing changed.
  returned: always
  type: bool
  sample: true
"""

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec
from ansible_collections.redisops.custom_modules.plugins.module_utils._diff import make_diff
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import apply_setting

UNSUPPORTED_WARNING = ("this cluster has no allow_modules_upload setting (Redis Enterprise before 8.2), so it always "
                       "allows module uploads and cannot be made to refuse them; nothing was changed")


def setting_diff(result):
    def side(value):
        return {} if value is None else dict(allow_modules_upload=value)
    return make_diff(side(result["previous"]), side(result["allowed"]))


def main():
    module = _argspec.create_module(dict(
        allowed=dict(type="bool", required=True),
    ))
    client = _argspec.client_from_module(module)
    try:
        result = apply_setting(client, module.params["allowed"], module.check_mode)
    except RedisEnterpriseError as exc:
        fail_module(module, exc)
    if not result["supported"] and not module.params["allowed"]:
        module.warn(UNSUPPORTED_WARNING)
    if module._diff:
        result["diff"] = setting_diff(result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
