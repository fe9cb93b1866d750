# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The read pass: the batch's nodes grouped into clusters, and what each cluster and node needs (a ``Run``).

``redis_module_lifecycle_plan`` (the action plugin) reads every cluster's module objects and every node's artifacts,
then calls ``read_problems`` and ``plan``; the checks before any write are in ``checks``, the database upgrades'
plan in ``upgrades``. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._listing import ModuleVersion, key_of
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.items import label_of
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import Run


DEFAULT_CLUSTER = 'default'


def group_clusters(nodes):
    """Group the batch's nodes (``[{host, cluster, url}]``, in batch order) into clusters.

    Each cluster's first host is its leader: the cluster-wide reads and writes go through its url.
    A node without a cluster name belongs to the cluster ``default``.
    """
    clusters = []
    index = {}
    for node in nodes:
        name = node.get('cluster') or DEFAULT_CLUSTER
        if name not in index:
            index[name] = len(clusters)
            clusters.append(dict(name=name, leader=node['host'], url=node['url'], hosts=[]))
        clusters[index[name]]['hosts'].append(node['host'])
    return clusters


def keys_of(entries):
    """The identity keys of a listing (module objects or artifacts), in listing order."""
    return [key_of(entry.get('module_name'), entry.get('version')) for entry in entries or [] if isinstance(entry, dict)]


def object_entry(obj):
    """The fields of a module object the role keeps."""
    version = coerce_version(obj.get('version'), obj.get('version'))
    return dict(module_name=obj.get('module_name'), version=version, semantic_version=obj.get('semantic_version'),
                key=key_of(obj.get('module_name'), version),
                label=label_of(obj.get('module_name'), version, obj.get('semantic_version')))


def user_objects(modules):
    """The user-defined module objects of a GET /v1/modules listing (bundled modules left out), as entries."""
    return [object_entry(obj) for obj in modules or [] if isinstance(obj, dict) and not obj.get('is_bundled', False)]


def read_problems(clusters, cluster_reads, node_reads):
    """Why the batch cannot go on: clusters or nodes that could not be read, each named.

    ``cluster_reads`` maps a cluster name to ``{'modules': [...]}`` or ``{'error': text}``,
    ``node_reads`` a host to ``{'artifacts': [...]}`` or ``{'error': text}``.
    """
    problems = []
    for cluster in clusters:
        read = cluster_reads.get(cluster['name']) or {'error': 'not read'}
        if read.get('error') is not None:
            problems.append('cluster %s (module objects, via %s at %s): %s'
                            % (cluster['name'], cluster['leader'], cluster['url'], read['error']))
    for cluster in clusters:
        for host in cluster['hosts']:
            read = node_reads.get(host) or {'error': 'not read'}
            if read.get('error') is not None:
                problems.append('node %s (%s): %s' % (host, read.get('url', '?'), read['error']))
    return problems


def plan(present, absent, nodes, cluster_reads, node_reads, prune):
    """The run state after the read pass: what each cluster and node needs (a ``Run``).

    Reads that failed leave the cluster or node with ``error`` set (read_problems() names them).
    """
    clusters = group_clusters(nodes)
    urls = dict((node['host'], node['url']) for node in nodes)
    run = Run.new(present, absent)
    for cluster in clusters:
        read = cluster_reads.get(cluster['name']) or {}
        modules = user_objects(read.get('modules'))
        keys = [obj['key'] for obj in modules]
        cluster.update(modules=modules, keys=keys, error=read.get('error'), allow_modules_upload=None,
                       create=[pkg['key'] for pkg in present if pkg['key'] not in keys])
        run['clusters'].append(cluster)
        run['errors'][cluster['name']] = []
        run['changes'][cluster['name']] = []
        for host in cluster['hosts']:
            nread = node_reads.get(host) or {}
            node_keys = keys_of(nread.get('artifacts'))
            run['nodes'][host] = dict(cluster=cluster['name'], url=urls[host], keys=node_keys, error=nread.get('error'),
                                      uploads=[pkg['key'] for pkg in present if pkg['key'] not in node_keys],
                                      removals=[], verified=False)
    run['work'] = any(c['create'] for c in run['clusters']) or any(n['uploads'] for n in run['nodes'].values()) \
        or bool(removal_candidates(run, prune))
    run.verify()
    return run


def removal_candidates(run, prune):
    """Keys a removal step may delete somewhere (module objects or artifacts): absent items, and with
    ``prune`` the other versions of the present modules. Empty: the removal step has nothing to do."""
    wanted = unwanted_rule(run, prune)
    found = set()
    for keys in [cluster['keys'] for cluster in run['clusters']] + [node['keys'] for node in run['nodes'].values()]:
        found.update(key for key in keys if wanted(key))
    return sorted(found)


def unwanted_rule(run, prune):
    """``unwanted(key, allow_prune=True)``: whether a version (its key) is to be removed (an absent item; with ``prune``
    and ``allow_prune``, another version of a present module)."""
    absent_keys = run.absent_keys()
    present_keys = set(run.present_keys())
    present_names = set(pkg['module_name'] for pkg in run['present'])

    def unwanted(key, allow_prune=True):
        if key in absent_keys:
            return True
        return bool(prune and allow_prune and key not in present_keys and ModuleVersion.parse(key).name in present_names)
    return unwanted


def last_listing(results):
    """The node's keys as the last result that listed them reports (after its write), or None."""
    listings = [res['artifacts'] for res in results if isinstance(res.get('artifacts'), list) and not res.get('failed')]
    return keys_of(listings[-1]) if listings else None


# The role's defaults (roles/module_lifecycle/defaults/main.yml and vars/main.yml) for the variables that place a node.
NODE_URL_DEFAULT = 'https://%s:9443'    # module_lifecycle_node_url: https://{{ ansible_host | default(inventory_hostname) }}:9443
LOCAL_URL_DEFAULT = 'https://localhost:9443'
RUN_FROM_DEFAULT = 'controller'


def inventory_nodes(hosts, hostvars, here):
    """``{'nodes': [{host, cluster, url}], 'uniform': bool}``: each host's cluster and API address, read from the
    inventory (``hostvars``, the role's defaults where a host sets nothing), without a task on every host.

    ``hostvars`` hold what the inventory, its group and host variables and the extra variables set; not the play's
    ``vars`` nor the role's parameters. So the result is only used when it agrees with ``here``, the node of the host
    running the task as the role itself resolves it in that host's context (every variable, every level):
    ``uniform`` is then true. Otherwise the role asks every host (a task per host), as it always did.
    """
    nodes = []
    for host in hosts:
        found = hostvars[host]

        def value(name, default=None):
            got = found[name] if name in found else None
            return default if got is None or got == '' else got

        on_controller = value('module_lifecycle_run_from', RUN_FROM_DEFAULT) == 'controller'
        if on_controller:
            url = value('module_lifecycle_node_url', NODE_URL_DEFAULT % value('ansible_host', host))
        else:
            url = value('module_lifecycle_local_url', LOCAL_URL_DEFAULT)
        nodes.append(dict(host=str(host), cluster=str(value('module_lifecycle_cluster', DEFAULT_CLUSTER)), url=str(url)))
    mine = [node for node in nodes if node['host'] == str(here.get('host'))]
    wanted = dict(host=str(here.get('host')), cluster=str(here.get('cluster') or DEFAULT_CLUSTER), url=str(here.get('url')))
    return dict(nodes=nodes, uniform=bool(mine) and mine[0] == wanted)
