# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Removal: absent items, and with prune the other versions of the present modules.

A cluster is complete when every node of it lists every present package and it has their module objects: only then
are its databases upgraded and its other versions pruned. The play may hold only some nodes of a cluster (serial
batches, AWX job slices, --limit, a concurrent run): every node of the cluster is read (step ``cluster_read``:
GET /v1/nodes, then each node this batch does not hold, at its address), and prune then also removes the pruned
artifacts from those nodes (``remove_outside``), so the cluster ends as one run over all its nodes would leave it.
The read is made only for a cluster with a database upgrade due or something to prune. Module objects go first
(``remove_objects``), then the artifacts (``remove_artifacts``): an artifact is deleted only where its module object
is gone. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils._listing import ModuleVersion
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.plan import keys_of, last_listing, unwanted_rule
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.step import Step, item_results


def prune_keys(run, cluster):
    """The keys only prune would remove from this cluster (module objects, or artifacts of its nodes in this run)."""
    by_prune, by_absent = unwanted_rule(run, True), unwanted_rule(run, False)
    keys = set(cluster['keys'])
    for host in cluster['hosts']:
        keys.update(run['nodes'][host]['keys'])
    return sorted(key for key in keys
                  if by_prune(key) and not by_absent(key))


def batch_complete(run, cluster):
    """Every node of the cluster in this batch lists every present package, and the cluster has their module objects."""
    present = run.present_keys()
    return all(key in cluster['keys'] for key in present) and all(
        run['nodes'][host].get('verified') and all(key in run['nodes'][host]['keys'] for key in present)
        for host in cluster['hosts'])


def cluster_reads(run, prune, host=None):
    """The clusters to read whole, ``[{cluster, url, leader, skip, upgrade, prune}]``: those without an error, complete
    in this batch (batch_complete()), with a database upgrade due (``upgrade``) or, with ``prune``, something prune
    would remove (``prune``). ``skip`` the URLs of this batch's nodes (they are verified already, and delete their own
    artifacts; the nodes of earlier serial batches and other slices are read, and pruned, like those outside the play).
    With ``host``, only the clusters it leads. Empty when no cluster has either: a run with nothing to upgrade or prune
    reads nothing more."""
    out = []
    for cluster in run['clusters']:
        name = cluster['name']
        if run.failed(name) or (host is not None and cluster['leader'] != host):
            continue
        upgrade = bool(cluster.get('upgrades')) and not cluster.get('upgraded')
        pruning = bool(prune) and bool(prune_keys(run, cluster))
        if not (upgrade or pruning) or not batch_complete(run, cluster):
            continue
        skip = []
        for member in cluster['hosts']:
            if run['nodes'][member]['url'] not in skip:
                skip.append(run['nodes'][member]['url'])
        out.append(dict(cluster=name, url=cluster['url'], leader=cluster['leader'], skip=skip, upgrade=upgrade,
                        prune=pruning))
    return out


def node_label(node):
    return 'node %s (%s)' % (node.get('uid'), node.get('addr') or node.get('url') or 'no address')


def cluster_nodes_check(run, nodes):
    """Whether prune may go ahead on a cluster, from every node of it (redis_module_artifact_info's ``nodes``):
    ``{ok, problems, outside}``. Each node not skipped (not in the play) must be readable and list every present
    package; ``outside`` holds those nodes with their keys, for the removal of the pruned artifacts."""
    problems, outside = [], []
    for node in nodes or []:
        if node.get('skipped'):
            continue
        where = '%s, not in this run (or batch)' % node_label(node)
        if node.get('error') is not None or not isinstance(node.get('artifacts'), list):
            problems.append('%s could not be read: %s' % (where, node.get('error') or 'no listing'))
            continue
        keys = keys_of(node['artifacts'])
        lacking = [pkg['label'] for pkg in run['present'] if pkg['key'] not in keys]
        if lacking:
            problems.append('%s lacks %s' % (where, ', '.join(lacking)))
        outside.append(dict(uid=node.get('uid'), addr=node.get('addr'), url=node.get('url'), label=node_label(node),
                            keys=keys, removals=[]))
    if not nodes:
        problems.append('GET /v1/nodes listed no node')
    return dict(ok=not problems, problems=problems, outside=[] if problems else outside)


def record_cluster_nodes(run, results):
    """Fold the whole-cluster reads (loop items from cluster_reads) into the run: each cluster's ``cluster_check``
    (cluster_nodes_check(), with ``prune``: whether prune wanted the read)."""
    for res in results or []:
        item = res.get('item') or {}
        cluster = run.cluster(item.get('cluster'))
        if cluster is None or res.get('skipped'):
            continue
        if res.get('failed'):
            check = dict(ok=False, outside=[], problems=[
                'the nodes of the cluster could not be read through %s: %s' % (item.get('leader'), res.get('msg') or 'failed')])
        else:
            check = cluster_nodes_check(run, res.get('nodes'))
        check['prune'] = bool(item.get('prune'))
        cluster['cluster_check'] = check
    return run


def cluster_ready(cluster):
    """The cluster is complete (record_cluster_nodes): every node of it, in the batch or outside, lists every present
    package. Its databases may be upgraded and prune may remove its other versions."""
    return bool((cluster.get('cluster_check') or {}).get('ok'))


def prune_skipped(run):
    """One message per cluster where the whole-cluster read stopped prune."""
    out = []
    for cluster in run['clusters']:
        check = cluster.get('cluster_check')
        if check and not check['ok'] and check.get('prune'):
            out.append('prune skipped on cluster %s: nothing was pruned there, because a node this run does not verify '
                       'may still need the other versions: %s. Run the playbook again once every node lists the present '
                       'version(s) (with job slices or serial batches, the one that completes the cluster does).'
                       % (cluster['name'], '; '.join(check['problems'])))
    return out


def outside_removals(run):
    """The pruned artifacts to delete from the nodes outside the play, ``[{cluster, leader, node, url, module_name,
    version, key}]``, chosen by record_object_removals (only where the module object is gone)."""
    out = []
    for cluster in run['clusters']:
        if run.failed(cluster['name']):
            continue
        for node in (cluster.get('cluster_check') or {}).get('outside') or []:
            for key in node.get('removals') or []:
                ident = ModuleVersion.parse(key)
                out.append(dict(cluster=cluster['name'], leader=cluster['leader'], node=node['label'], url=node['url'],
                                module_name=ident.name, version=ident.version, key=key))
    return out


def record_outside_removals(run, results):
    """Fold the deletions on the nodes outside the play (loop items from outside_removals) into the run."""
    for res in results or []:
        item = res.get('item') or {}
        name = item.get('cluster')
        if run.cluster(name) is None or res.get('skipped'):
            continue
        if res.get('failed'):
            run.error(name, 'artifact removal on %s, not in this run (or batch): %s'
                      % (item.get('node'), res.get('msg') or 'failed'))
            continue
        if res.get('changed'):
            run.change(name, 'artifact deleted: %s' % item.get('key'))
        if isinstance(res.get('artifacts'), list) and item.get('key') in keys_of(res['artifacts']):
            run.error(name, 'verification: still listed on %s: %s' % (item.get('node'), item.get('key')))
    return run


def object_removals(run, prune, host=None):
    """The module objects to delete, ``[{cluster, url, leader, module_name, version, key, label, prune}]``.

    Absent items always; with ``prune`` the other versions of the present modules, once the cluster is
    complete (cluster_ready(): every node of it lists every present package). A cluster with an error is left alone. With ``host``, only the
    clusters it leads (each leader deletes its cluster's objects, the leaders in parallel).
    """
    unwanted = unwanted_rule(run, prune)
    out = []
    for cluster in run['clusters']:
        if run.failed(cluster['name']) or (host is not None and cluster['leader'] != host):
            continue
        verified = cluster_ready(cluster) if prune else False
        absent_keys = run.absent_keys()
        for obj in cluster['modules']:
            if unwanted(obj['key'], allow_prune=verified):
                out.append(dict(cluster=cluster['name'], url=cluster['url'], leader=cluster['leader'],
                                module_name=obj['module_name'], version=obj['version'], key=obj['key'],
                                label=obj['label'], prune=obj['key'] not in absent_keys))
    return out


def record_object_removals(run, results, prune):
    """Fold the module-object deletions into the run, and choose each node's artifacts to delete.

    A pruned version a database uses is kept with its artifacts (``kept (in use)``); an absent item
    a database uses stops its cluster. An artifact is deleted only where its module object is gone.
    """
    warnings = []
    for res in results or []:
        item = res.get('item') or {}
        name = item.get('cluster')
        cluster = run.cluster(name)
        if cluster is None or res.get('skipped'):
            continue
        in_use = res.get('databases') is not None
        if item.get('prune') and in_use:
            run.change(name, 'kept (in use): %s' % item['label'])
            warnings.append('prune kept %s on cluster %s: it is used by database(s) %s. %s'
                            % (item['label'], name, ', '.join(str(db) for db in res['databases']) or '(unknown)',
                               res.get('msg') or ''))
            continue
        if res.get('failed'):
            run.error(name, 'removal of the module object: %s' % (res.get('msg') or 'failed'))
            continue
        if res.get('changed'):
            run.change(name, 'module object deleted: %s' % item['label'])
        cluster['keys'] = [key for key in cluster['keys'] if key != item['key']]
        cluster['modules'] = [obj for obj in cluster['modules'] if obj['key'] != item['key']]
    unwanted = unwanted_rule(run, prune)
    for cluster in run['clusters']:
        verified = cluster_ready(cluster) if prune else False
        for host in cluster['hosts']:
            node = run['nodes'][host]
            node['removals'] = [] if run.failed(cluster['name']) else [
                key for key in node['keys']
                if key not in cluster['keys'] and unwanted(key, allow_prune=verified)]
        for node in (cluster.get('cluster_check') or {}).get('outside') or []:
            node['removals'] = [] if run.failed(cluster['name']) or not verified else [
                key for key in node['keys'] if key not in cluster['keys'] and unwanted(key)]
    run['warnings'] = prune_skipped(run) + warnings
    return run


def host_removals(run, host):
    """The artifacts to delete from this host, ``[{module_name, version, key}]``."""
    node = run['nodes'].get(host) or {}
    out = []
    for key in node.get('removals') or []:
        ident = ModuleVersion.parse(key)
        out.append(dict(module_name=ident.name, version=ident.version, key=key))
    return out


def record_artifact_removals(run, registered_by_host):
    """Fold each host's artifact deletions into the run; a key still listed afterwards is an error."""
    for host, registered in registered_by_host:
        node = run['nodes'].get(host)
        results = [res for res in (registered or {}).get('results') or [] if not res.get('skipped')]
        if node is None or not results:
            continue
        errors = run['errors'][node['cluster']]
        for res in results:
            if res.get('failed'):
                errors.append('artifact removal on %s: %s' % (host, res.get('msg') or 'failed'))
            elif res.get('changed'):
                run.change(node['cluster'], 'artifact deleted: %s' % (res.get('item') or {}).get('key'))
        listed = last_listing(results)
        if listed is not None:
            node['keys'] = listed
        for res in results:
            key = (res.get('item') or {}).get('key')
            if not res.get('failed') and key in node['keys']:
                errors.append('verification: still listed on %s: %s' % (host, key))
    return run


class ClusterRead(Step):
    name, task_file = 'cluster_read', 'cluster_read.yml'
    doc = ('the clusters to read whole before upgrades and prune ([{cluster, url, leader, skip, upgrade, prune}]); '
           'record: whether each is complete')
    todo_options = ('host', 'prune')

    def todo(self, run, host=None, prune=False):
        return cluster_reads(run, prune, host)

    def record(self, run, by_host):
        return record_cluster_nodes(run, item_results(by_host))


class RemoveObjects(Step):
    name, task_file = 'remove_objects', 'remove.yml'
    doc = ('the module objects to delete ([{cluster, url, leader, module_name, version, key, label, prune}]); record: '
           'the deletions, then each node\'s artifacts to delete')
    todo_options = ('host', 'prune')
    record_options = ('prune',)

    def todo(self, run, host=None, prune=False):
        return object_removals(run, prune, host)

    def record(self, run, by_host, prune=False):
        return record_object_removals(run, item_results(by_host), prune)


class RemoveArtifacts(Step):
    name, task_file = 'remove_artifacts', 'remove_artifacts.yml'
    doc = 'the artifacts to delete from host ([{module_name, version, key}]); record: the deletions, verified'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return host_removals(run, host)

    def record(self, run, by_host):
        return record_artifact_removals(run, by_host)


class RemoveOutside(Step):
    name, task_file = 'remove_outside', 'remove.yml'
    doc = ('the pruned artifacts to delete from the nodes outside the play ([{cluster, leader, node, url, module_name, '
           'version, key}]); record: the deletions')

    def todo(self, run):
        return outside_removals(run)

    def record(self, run, by_host):
        return record_outside_removals(run, item_results(by_host))
