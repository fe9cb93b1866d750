#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file only documents the action plugin of the same name, which does all the work on the controller.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_module_lifecycle_plan
short_description: Read a batch of Redis Enterprise clusters and nodes at once and plan the module lifecycle
version_added: 0.1.0
description:
  - The read pass of the P(redisops.custom_modules.module_lifecycle#role) role, run once per batch on the controller
    (C(run_once), C(delegate_to=localhost)). Its options and results follow the role and may change with it; use the
    role.
  - Checks the items of O(artifacts) and reads their packages on the controller (a bad item or package fails, naming
    it). Then reads every cluster's module objects (C(GET /v1/modules), through the first node of the cluster in
    O(nodes)) and every node's artifacts (C(GET /v2/local/modules/user-defined/artifacts)) at once, on a bounded pool
    of threads, with the collection's REST client (retries, TLS verification, hints, no password in any message). A
    cluster or node that cannot be read fails the task, naming it.
  - Decides what each cluster and node needs. When something must be uploaded (and O(check_nodes=true)), also reads
    C(GET /v1/cluster) (C(allow_modules_upload)) and C(GET /v1/nodes) once per cluster concerned and checks the
    architecture and operating system of every node that needs a package, failing before anything is written.
  - With O(read=false) (the role's C(module_lifecycle_run_from=node)), the reads are taken from O(cluster_reads) and
    O(node_reads) instead, made by M(redisops.custom_modules.redis_user_module_info) and
    M(redisops.custom_modules.redis_module_artifact_info) on the nodes.
  - Never writes anything in modes V(apply) and V(report). Returns the plan the role's next steps follow.
  - With O(mode=restore), sets C(allow_modules_upload) back to false on each cluster of O(restore) (C(GET /v1/cluster),
    then C(PUT /v1/cluster) where it is true), all clusters at once on the same pool of threads; the role's end of a
    run with C(module_lifecycle_allow_uploads=temporary) from the controller. A cluster that cannot be set fails the
    task, naming it. In check mode nothing is sent.
author:
  - redisops maintainers (@redisops)
extends_documentation_fragment:
  - redisops.custom_modules._connection
  - redisops.custom_modules._attributes.ACTIONGROUP_REDIS
attributes:
  check_mode:
    description: Can run in C(check_mode) and return a changed status prediction without modifying the cluster.
    support: full
    details:
      - Modes V(apply) and V(report) only read; with O(mode=restore), nothing is sent in check mode.
  diff_mode:
    description: Will return details on what has changed (or would change in C(check_mode)) when run in diff mode.
    support: none
  action:
    description: Indicates this has a corresponding action plugin so some parts of the work happen on the controller.
    support: full
    details:
      - All of it; no module runs on any host.
options:
  mode:
    description:
      - V(apply) checks the items and plans the writes; V(report) only reads and returns the drift report in RV(status);
        V(restore) sets C(allow_modules_upload) back to false on the clusters of O(restore).
    type: str
    choices: [apply, report, restore]
    default: apply
  nodes:
    description:
      - The nodes of the batch, in play order, each C(host) (inventory name), C(cluster) (its cluster's name;
        V(default) when empty) and C(url) (its REST API). O(url) is not used.
      - Required by O(mode=apply) and O(mode=report).
    type: list
    elements: dict
    default: []
  restore:
    description:
      - With O(mode=restore), the clusters to set back, each C(cluster) (its name) and C(url) (the REST API of one of
        its nodes), as the role's C(lifecycle_todo('restore')) gives them.
    type: list
    elements: dict
    default: []
    version_added: 0.2.0
  artifacts:
    description: The role's C(module_lifecycle_artifacts), as meta/argument_specs.yml of the role checked them.
    type: list
    elements: dict
    default: []
  state:
    description: The state of the items that do not set their own.
    type: str
    choices: [present, absent]
    default: present
  allow_uploads:
    description: The role's C(module_lifecycle_allow_uploads) (V(true), V(false) or V(temporary)).
    type: raw
    default: false
  prune:
    description: Whether the other versions of the present modules are to be removed.
    type: bool
    default: false
  read:
    description: Read from the controller (V(true)), or take the reads from O(cluster_reads) and O(node_reads).
    type: bool
    default: true
  cluster_reads:
    description:
      - With O(read=false), the results of M(redisops.custom_modules.redis_user_module_info) looped over the clusters,
        each with C(item.name), the cluster's name.
    type: list
    elements: dict
    default: []
  node_reads:
    description:
      - With O(read=false), each host's result of M(redisops.custom_modules.redis_module_artifact_info), by host.
    type: dict
    default: {}
  check_nodes:
    description:
      - Check, before anything is written, the nodes that need a package and the C(allow_modules_upload) of their
        clusters (only with O(read=true); with O(read=false) the role checks each node on the node).
    type: bool
    default: true
  upgrade_databases:
    description:
      - The role's C(module_lifecycle_upgrade_databases). V(false), no database is read or upgraded (the reads are those
        of a run without it).
      - V(true), every database that uses an older version of a module of O(artifacts); C(GET /v1/bdbs) is read once
        per cluster, only on the clusters that hold (or will hold after this run) two versions of such a module.
      - A list of database names, those databases (on every cluster where one has that name); C(GET /v1/bdbs) is read
        once per cluster, and a name found on no cluster fails the task.
      - Which version each database gets is the rule of M(redisops.custom_modules.redis_database_module_upgrade), on
        the cluster as it will be once this run's module objects and artifacts are there. A database no version can
        be used for fails the task, naming it. The plan gets each cluster's C(upgrades).
      - With O(read=false), the databases come from O(cluster_reads) (C(databases) and C(modules) of
        M(redisops.custom_modules.redis_user_module_info) with O(redisops.custom_modules.redis_user_module_info#module:databases=true)).
    type: raw
    default: false
notes:
  - The password is never returned and never appears in error messages or warnings.
seealso:
  - module: redisops.custom_modules.redis_user_module_info
  - module: redisops.custom_modules.redis_module_artifact_info
"""

EXAMPLES = r"""
- name: Read every cluster and node of this batch, and what each needs
  redisops.custom_modules.redis_module_lifecycle_plan:
    nodes: "{{ ansible_play_batch | map('extract', hostvars, '_module_lifecycle_node') | list }}"
    artifacts:
      - src: files/hello-1.0.0.zip
    username: admin@example.com
    password: "{{ vault_redis_password }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
msg:
  description: What the run has to do, or, on failure, every problem found (each naming its item, cluster or node).
  returned: always
  type: str
  sample: "present: hello 1.0.0 (10000); absent: -; nothing to do"
run:
  description:
    - The plan. The role registers it and sets it as a variable of every host of the batch (with C(run_once)); it is
      not returned as C(ansible_facts), so the role works with C(inject_facts_as_vars) on and off.
    - The items, the clusters (name, leader, url, hosts, module objects, objects to create), the nodes (cluster, url,
      artifact keys, packages to upload), the verification and C(work), whether anything may have to be written.
      Internal to the role.
  returned: with O(mode=apply), on success
  type: dict
status:
  description: The drift report per cluster.
  returned: with O(mode=report)
  type: list
  elements: dict
lines:
  description: The drift report as lines of text.
  returned: with O(mode=report)
  type: list
  elements: str
downloads:
  description: The packages of items with C(url), as fetched into the package cache.
  returned: with O(mode=apply), when an item has C(url)
  type: list
  elements: dict
  version_added: 0.2.0
  sample:
    - url: https://artifacts.example.com/redis-modules/hello-1.0.0.zip
      checksum: sha256:9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d
      path: /home/deploy/.cache/redisops.custom_modules/packages/sha256/9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d/hello-1.0.0.zip
      downloaded: true
restored:
  description: With O(mode=restore), each cluster's C(allow_modules_upload) before and after.
  returned: with O(mode=restore)
  type: list
  elements: dict
  version_added: 0.2.0
  sample:
    - cluster: eu-prod
      previous: true
      allowed: false
      supported: true
      changed: true
"""
