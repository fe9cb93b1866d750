# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The checks the read pass makes before any write: each node against the packages it needs (architecture,
operating system, Redis versions: the rule of redis_module_artifact's check_node), the upload gate and the cluster's
upload limit. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.redisops.custom_modules.plugins.module_utils import _redis_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package, check_node_compatibility
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import size_warning
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.items import UPLOADS_HINT, uploads_mode


def compatibility_problems(run, host, node, nodes=None, how='address'):
    """Why ``node`` cannot take the packages ``host`` needs: architecture, OS, and no Redis version of the node
    that could load the package -- the checks of redis_module_artifact's check_node, made once here.

    ``node`` is the /v1/nodes object identify_node() found (None: it cannot be told, nothing is checked);
    when ``how`` is not 'address' (any node stands for it), the Redis versions of all ``nodes`` count.
    """
    if node is None:
        return []
    if how == 'address':
        versions, where = _redis_version.cluster_versions(node), 'node %s (%s)' % (node.get('uid'), node.get('addr'))
    else:
        versions, where = _redis_version.cluster_versions(nodes or [node]), 'the cluster of %s' % host
    problems = []
    for pkg in run.packages(run['nodes'][host]['uploads']):
        found = check_node_compatibility(Package.from_entry(pkg), node)
        fit = _redis_version.check_package(pkg.get('redis_fields') or {}, versions, what='the package', where=where)
        if fit.problem:
            found.append(fit.problem)
        problems.extend('%s (%s): %s' % (host, pkg['label'], problem) for problem in found)
    return problems


def gate_problems(run, allow_uploads):
    """Clusters that must receive an upload while allow_modules_upload is false and the role may not change it."""
    if uploads_mode(allow_uploads) != 'false':
        return []
    problems = []
    for cluster in run['clusters']:
        if cluster.get('allow_modules_upload') is False and needs_upload(run, cluster['name']):
            problems.append('cluster %s (via %s): %s' % (cluster['name'], cluster['leader'], UPLOADS_HINT))
    return problems


def upload_limit_warnings(run, cluster, limit_mb):
    """One warning per package that this run uploads to a node of ``cluster`` and that is larger than the cluster's
    ``module_upload_max_size_mb`` (``limit_mb``, None: the cluster has no such setting)."""
    uploaded = set(key for host in cluster['hosts'] for key in run['nodes'][host]['uploads'])
    out = []
    for pkg in run['present']:
        if pkg['key'] in uploaded:
            warning = size_warning('package %s (%s)' % (pkg['label'], os.path.basename(pkg['src'] or '')), pkg.get('size'),
                                   limit_mb, 'cluster %s' % cluster['name'])
            if warning:
                out.append(warning)
    return out


def needs_upload(run, name):
    """Whether a module object or an artifact must be uploaded to this cluster."""
    cluster = run.cluster(name)
    return bool(cluster['create']) or any(run['nodes'][host]['uploads'] for host in cluster['hosts'])
