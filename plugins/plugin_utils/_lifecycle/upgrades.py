# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Database upgrades (module_lifecycle_upgrade_databases): their plan in the read pass, and the steps.

After verification and before removal, each cluster's databases that use an older version of a present module are
upgraded (redis_database_module_upgrade), one at a time, through the cluster's leader; the clusters in parallel.
Which databases, and to what, is decided by _bdb_upgrade (the module's own rule). A cluster entry gains ``upgrades``
(the plan: [{uid, name, redis_version, upgrades}]) and ``upgraded`` (what happened: [{name, upgrades, changed,
failed}]); a failed upgrade is an error of its cluster, which stops its remaining upgrades and its removals.
This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._bdb_upgrade import select_databases
from ansible_collections.redisops.custom_modules.plugins.module_utils._listing import ModuleVersion
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.removal import cluster_ready
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.step import Step


ARROW = u'\u2192'


UPGRADE_FAILED_HINT = ('The remaining databases of this cluster were not upgraded and nothing was removed from it (every '
                       'module object and artifact is kept). Fix the cause, then run the role again: the databases '
                       'already upgraded are left as they are.')


def _module_versions(run, cluster):
    """``{module_name: set of versions}`` of the present modules' objects on the cluster once this run created its own."""
    names = set(pkg['module_name'] for pkg in run['present'])
    versions = {}
    for key in list(cluster['keys']) + list(cluster.get('create') or []):
        ident = ModuleVersion.parse(key)
        if ident.name in names:
            versions.setdefault(ident.name, set()).add(ident.version)
    return versions


def upgrade_reads(run, wanted):
    """The clusters whose databases must be read (GET /v1/bdbs), in plan order.

    None when ``wanted`` is False. With True, only the clusters that hold (or will hold, after this run's module
    objects) two versions of a present module: with one version, no database can use an older one. With a list of
    names, every cluster (each listed name must be found somewhere).
    """
    if not wanted or not run['present']:
        return []
    out = []
    for cluster in run['clusters']:
        if wanted is not True or any(len(v) > 1 for v in _module_versions(run, cluster).values()):
            out.append(cluster['name'])
    return out


def _predicted_modules(run, cluster, modules):
    """The cluster's GET /v1/modules listing once this run created its module objects."""
    out = [mod for mod in modules or [] if isinstance(mod, dict)]
    for pkg in run.packages(cluster.get('create') or []):
        created = dict(uid=None, module_name=pkg['module_name'], version=pkg['version'],
                       semantic_version=pkg.get('semantic_version'), is_bundled=False)
        created.update((name, value) for name, value in (pkg.get('redis_fields') or {}).items() if value is not None)
        out.append(created)
    return out


def _predicted_artifacts(run, cluster):
    """``{host: set of (module_name, version)}`` of the cluster's nodes in the batch once their uploads are done."""
    out = {}
    for host in cluster['hosts']:
        node = run['nodes'][host]
        idents = [ModuleVersion.parse(key) for key in list(node['keys']) + list(node.get('uploads') or [])]
        out[host] = set((ident.name, coerce_version(ident.version, None)) for ident in idents)
    return out


def plan_upgrades(run, wanted, reads):
    """Which databases of each cluster to upgrade, and to what: ``(run, problems)``.

    ``reads`` maps the clusters of upgrade_reads() to ``{'bdbs': GET /v1/bdbs, 'modules': GET /v1/modules}`` or
    ``{'error': text}``. The decision is _bdb_upgrade.select_databases' (the rule of redis_database_module_upgrade),
    made on the cluster as it will be once this run's module objects and artifacts are there. Sets each cluster's
    ``upgrades`` and ``upgraded`` and ``work`` when a database is due. A listed name found on no cluster, a database
    no version can be used for, or a read that failed is a problem (the read pass stops every host: nothing changed).
    """
    problems = []
    found = set()
    names = sorted(set(pkg['module_name'] for pkg in run['present']))
    for cluster in run['clusters']:
        cluster['upgrades'], cluster['upgraded'] = [], []
        if cluster['name'] not in reads:
            continue
        read = reads[cluster['name']] or {'error': 'not read'}
        if read.get('error') is not None:
            problems.append('cluster %s (GET /v1/bdbs via %s): %s' % (cluster['name'], cluster['leader'], read['error']))
            continue
        bdbs = [bdb for bdb in read.get('bdbs') or [] if isinstance(bdb, dict)]
        here = set(bdb.get('name') for bdb in bdbs)
        listed = wanted if wanted is True else [name for name in wanted if name in here]
        found.update(here)
        if not listed:
            continue
        decided = select_databases(bdbs, _predicted_modules(run, cluster, read.get('modules')),
                                   _predicted_artifacts(run, cluster), listed, names)
        problems.extend('cluster %s: %s' % (cluster['name'], problem) for problem in decided['problems'])
        cluster['upgrades'] = decided['upgrades']
        # databases whose module versions cannot be told: nothing is sent for them; the read pass warns
        cluster['upgrade_warnings'] = ['cluster %s: %s' % (cluster['name'], w) for w in decided['warnings']]
    if wanted is not True and wanted and reads:  # nothing read: no present module (a removal), nothing to upgrade
        missing = [name for name in wanted if name not in found]
        if missing:
            problems.append('no database named %s on cluster(s) %s (their databases: %s): fix module_lifecycle_upgrade_databases'
                            % (', '.join("'%s'" % name for name in missing), ', '.join(sorted(reads)),
                               ', '.join(sorted(found)) or 'none'))
    if any(cluster['upgrades'] for cluster in run['clusters']):
        run['work'] = True
    return run, problems


def cluster_node_urls(run, cluster):
    """The URL of every node of the cluster, for the database-upgrade module's artifact check (``node_urls``): the
    batch's nodes at their URLs in the play, then the nodes outside it (other slices, other batches, --limit) at the
    URL of their address, from the whole-cluster read. Empty when the cluster was not read whole."""
    check = cluster.get('cluster_check') or {}
    if not check.get('ok'):
        return []
    urls = []
    for url in [run['nodes'][host]['url'] for host in cluster['hosts']] + [node['url'] for node in check.get('outside') or []]:
        if url and url not in urls:
            urls.append(url)
    return urls


def _upgrading(run, host=None):
    """The clusters whose databases may be upgraded now: with an upgrade due, no error, and complete (every node of the
    cluster lists every present package, cluster_ready()); with ``host``, only those it leads."""
    out = []
    for cluster in run['clusters']:
        if not cluster.get('upgrades') or run.failed(cluster['name']):
            continue
        if host is not None and cluster['leader'] != host:
            continue
        if cluster_ready(cluster):
            out.append(cluster)
    return out


def upgrade_rounds(run):
    """``[0, 1, ...]``, one round per database of the cluster with the most upgrades due now: in round ``i`` each
    cluster's leader upgrades its cluster's ``i``-th database (the clusters in parallel, one database at a time)."""
    return list(range(max([len(cluster['upgrades']) for cluster in _upgrading(run)] or [0])))


def upgrade_waiting(run):
    """Why the upgrades due on a cluster of the batch do not run now (lines for the log): a node of the cluster
    (outside this batch or run) lacks a present package or could not be read, or the cluster failed before."""
    lines = []
    ready = [cluster['name'] for cluster in _upgrading(run)]
    for cluster in run['clusters']:
        if not cluster.get('upgrades') or cluster['name'] in ready or cluster.get('upgraded'):
            continue  # nothing due, running now, or ran (record_upgrades reported it)
        names = ', '.join(db['name'] for db in cluster['upgrades'])
        check = cluster.get('cluster_check') or {}
        if run.failed(cluster['name']):
            lines.append('cluster %s: databases %s not upgraded (the cluster failed before; see the summary)' % (cluster['name'], names))
        else:
            lines.append('cluster %s: databases %s not upgraded in this run: %s. The run (or serial batch, or job slice) '
                         'after which every node lists the present version(s) upgrades them; or run the playbook again.'
                         % (cluster['name'], names, '; '.join(check.get('problems') or ['the cluster was not read whole'])))
    return lines


def upgrade_todo(run, host, index):
    """The database ``host`` upgrades in round ``index``: ``[{cluster, url, leader, uid, name, upgrades, node_urls,
    label}]`` or ``[]`` (not a leader, no such round, or its cluster failed: a failure stops the cluster's later
    databases). ``node_urls`` are every node of the cluster (cluster_node_urls()), for the module's artifact check."""
    for cluster in _upgrading(run, host):
        if index < len(cluster['upgrades']):
            db = cluster['upgrades'][index]
            return [dict(cluster=cluster['name'], url=cluster['url'], leader=cluster['leader'], uid=db['uid'],
                         name=db['name'], upgrades=db['upgrades'], node_urls=cluster_node_urls(run, cluster),
                         label='%s: db %s' % (cluster['name'], db['name']))]
    return []


def upgrade_line(name, upgrades):
    """``db orders: hello 1.0.0 → 2.0.0`` (several modules joined by commas)."""
    modules = ['%s %s %s %s' % (u.get('module_name'), u.get('from'), ARROW, u.get('to')) for u in upgrades or []]
    return 'db %s: %s' % (name, ', '.join(modules) or 'up to date')


def record_upgrades(run, registered_by_host, check_mode=False):
    """Fold the upgrades of one round (``[(host, registered)]``, each a looped redis_database_module_upgrade) into
    the run. A database upgraded (or, in check mode, to be) is a change ``db <name>: <module> <from> → <to>``; a
    failure is an error of its cluster naming the database, which stops its later databases and its removals.

    In check mode the module reads the cluster as it is: before this run's module objects exist it predicts no
    upgrade, so the plan's prediction is reported.
    """
    for dummy, registered in registered_by_host:
        for res in (registered or {}).get('results') or []:
            item = res.get('item') or {}
            cluster = run.cluster(item.get('cluster'))
            if cluster is None or res.get('skipped'):
                continue
            name = item.get('name')
            upgrades = res.get('upgrades') or []
            if check_mode and not res.get('failed') and not upgrades:
                upgrades = item.get('upgrades') or []
            done = dict(name=name, upgrades=upgrades, changed=bool(res.get('changed')) or bool(check_mode and upgrades),
                        failed=bool(res.get('failed')))
            cluster.setdefault('upgraded', []).append(done)
            if done['failed']:
                left = [db['name'] for db in cluster.get('upgrades') or []
                        if db['name'] != name and db['name'] not in [d['name'] for d in cluster['upgraded']]]
                run.error(cluster['name'], "database upgrade of '%s' failed: %s %s%s" % (
                    name, res.get('msg') or 'failed', UPGRADE_FAILED_HINT, ' Not upgraded: %s.' % ', '.join(left) if left else ''))
            elif done['changed']:
                run.change(cluster['name'], upgrade_line(name, upgrades))
    return run


class Upgrade(Step):
    name, task_file = 'upgrade', 'upgrade.yml'
    doc = 'the rounds of database upgrades due now ([0, 1, ...])'
    records = False

    def todo(self, run):
        return upgrade_rounds(run)


class UpgradeWaiting(Step):
    name, task_file = 'upgrade_waiting', 'upgrade.yml'
    doc = 'lines naming the clusters whose database upgrades do not run now, and why'
    records = False

    def todo(self, run):
        return upgrade_waiting(run)


class UpgradeRound(Step):
    name, task_file = 'upgrade_round', 'upgrade_round.yml'
    doc = ('the database host upgrades in round index ([{cluster, url, leader, uid, name, upgrades, node_urls, label}]); '
           'record: the round')
    todo_options = ('host', 'index')
    record_options = ('check_mode',)

    def todo(self, run, host=None, index=0):
        return upgrade_todo(run, host, int(index))

    def record(self, run, by_host, check_mode=False):
        return record_upgrades(run, by_host, bool(check_mode))
