# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps that write what the read pass planned: ``check`` (run_from: node, check mode on each node),
``cluster`` (the module objects, through each cluster's leader) and ``nodes`` (each node's artifacts, then
verification). This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.items import UPLOADS_HINT
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.plan import last_listing
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.step import Step, item_results


def creates(run, host=None):
    """The module objects to create, ``[{cluster, url, leader, pkg}]``: every cluster's, or with ``host`` those
    of the clusters it leads (each leader creates its cluster's objects, the leaders in parallel)."""
    creates = []
    for cluster in run['clusters']:
        if host is not None and cluster['leader'] != host:
            continue
        for pkg in run.packages(cluster['create']):
            creates.append(dict(cluster=cluster['name'], url=cluster['url'], leader=cluster['leader'], pkg=pkg))
    return creates


def host_uploads(run, host):
    """The packages this host must receive now ([] when its cluster already failed)."""
    node = run['nodes'].get(host)
    if node is None or run.failed(node['cluster']):
        return []
    return run.packages(node['uploads'])


def record_checks(run, results_by_host):
    """Set ``check_problems`` from the per-node check-mode runs of redis_module_artifact (run_from: node)."""
    problems = []
    for host, registered in results_by_host:
        for res in (registered or {}).get('results') or []:
            if res.get('failed'):
                hint = ' ' + UPLOADS_HINT if res.get('error_code') == 'modules_upload_disabled' else ''
                label = (res.get('item') or {}).get('label', '?')
                problems.append('%s (%s): %s%s' % (host, label, res.get('msg') or 'failed', hint))
    run['check_problems'] = problems
    return run


def record_creates(run, results):
    """Fold the results of the module-object creations (loop items ``{cluster, pkg}``) into the run."""
    for res in results or []:
        item = res.get('item') or {}
        name, pkg = item.get('cluster'), item.get('pkg') or {}
        cluster = run.cluster(name)
        if cluster is None or res.get('skipped'):
            continue
        if res.get('failed'):
            run.error(name, 'module object: %s' % (res.get('msg') or 'failed'))
            continue
        if res.get('changed'):
            run.change(name, 'module object created: %s' % pkg.get('label'))
        if pkg.get('key') not in cluster['keys']:
            cluster['keys'].append(pkg['key'])
            cluster['modules'].append(dict(module_name=pkg['module_name'], version=pkg['version'],
                                           semantic_version=pkg.get('semantic_version'), key=pkg['key'],
                                           label=pkg['label']))
        run.note_gate(name, res)
    return run


def record_uploads(run, registered_by_host):
    """Fold each host's upload results (``[(host, registered)]``) into the run, then verify.

    A failed upload is an error of the host's cluster. The module lists the node's artifacts after
    each upload (in check mode, the prediction): that listing is what the node holds now.
    """
    for host, registered in registered_by_host:
        node = run['nodes'].get(host)
        results = (registered or {}).get('results') or []
        if node is None or not results:
            continue
        for res in results:
            if res.get('skipped'):
                continue
            label = (res.get('item') or {}).get('label', '?')
            if res.get('failed'):
                run.error(node['cluster'], 'artifact upload on %s: %s' % (host, res.get('msg') or 'failed'))
            elif res.get('changed'):
                run.change(node['cluster'], 'artifact uploaded: %s' % label)
            run.note_gate(node['cluster'], res)
        listed = last_listing(results)
        if listed is not None:
            node['keys'] = listed
    run.verify(record_errors=True)
    return run


class Check(Step):
    name, task_file = 'check', 'check.yml'
    doc = 'the packages a node needs, checked in check mode on the node; record: their failures as check_problems'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return host_uploads(run, host)

    def record(self, run, by_host):
        return record_checks(run, by_host)


class Cluster(Step):
    name, task_file = 'cluster', 'cluster.yml'
    also_in = ('cluster_node.yml',)
    doc = 'the module objects to create ([{cluster, url, leader, pkg}]), with host those of the clusters it leads'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return creates(run, host)

    def record(self, run, by_host):
        return record_creates(run, item_results(by_host))


class Nodes(Step):
    name, task_file = 'nodes', 'nodes.yml'
    doc = 'the packages host must receive now (none when its cluster failed); record: the uploads, then verification'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return host_uploads(run, host)

    def record(self, run, by_host):
        return record_uploads(run, by_host)
