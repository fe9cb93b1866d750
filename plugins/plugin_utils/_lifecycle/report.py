# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the role reports: the summary of a run per cluster, the errors a host fails with, where the upload
gate is restored, and the drift report of the status playbook. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.items import uploads_mode
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.plan import group_clusters, keys_of, user_objects
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import _unique
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.step import Step


def restore_targets(run, active_hosts):
    """Where to set allow_modules_upload back to false: ``[{cluster, via, url}]`` for every cluster a write of
    this run enabled it on, through a host of the cluster still in the play."""
    out = []
    for name in run.get('uploads_enabled') or []:
        cluster = run.cluster(name)
        active = [host for host in cluster['hosts'] if host in active_hosts]
        via = active[0] if active else cluster['leader']
        out.append(dict(cluster=name, via=via, url=run['nodes'][via]['url']))
    return out


def summary(run, check_mode=False, allow_uploads=False):
    """The lines of the summary per cluster."""
    lines = []
    temporary = uploads_mode(allow_uploads) == 'temporary'
    would = '(check mode, would be) ' if check_mode else ''
    for cluster in run['clusters']:
        name = cluster['name']
        errors = run.errors_of(name)
        changes = run.changes_of(name)
        lines.append('cluster %s (%d node(s) in this run%s): %s'
                     % (name, len(cluster['hosts']), ', check mode' if check_mode else '', 'FAILED' if errors else 'ok'))
        for check in run['verification']:
            if check['cluster'] == name:
                lines.append('  %s: module object %s, nodes ready %d/%d%s'
                             % (check['label'], 'present' if check['ccs'] else 'MISSING', check['ready'], check['total'],
                                ', missing on ' + ', '.join(check['lacking']) if check['lacking'] else ''))
        listed = set(cluster['keys']).union(*[run['nodes'][host]['keys'] for host in cluster['hosts']])
        for entry in run['absent']:
            if entry['key'] not in listed:
                lines.append('  %s: absent (no module object, no artifact)' % entry['label'])
        for change in _unique(changes):
            count = changes.count(change)
            lines.append('  %s%s%s' % (would, change, ' (%d node(s))' % count if change.startswith('artifact') else ''))
        if not changes and not errors:
            lines.append('  no change')
        if name in (run.get('uploads_enabled') or []):
            lines.append('  allow_modules_upload %senabled%s' % (would, ', restored to false' if temporary else ' (left on)'))
        check = cluster.get('cluster_check')
        if check and not check['ok']:
            lines.append('  %s: %s' % ('database upgrades and prune skipped' if check.get('prune') and cluster.get('upgrades')
                                       else 'prune skipped' if check.get('prune') else 'database upgrades skipped',
                                       '; '.join(check['problems'])))
        for error in errors:
            lines.append('  ERROR ' + error)
    return lines


def cluster_errors(run, host):
    """The errors of this host's cluster (the host fails with them at the end of the run)."""
    node = (run or {}).get('nodes', {}).get(host)
    if node is None:
        return []
    return run.errors_of(node['cluster'])


def drift(nodes, cluster_reads, node_reads):
    """Per cluster: module objects, each node's artifacts, objects lacking an artifact somewhere,
    artifacts without an object, unreadable nodes, and whether it is in sync."""
    out = []
    for cluster in group_clusters(nodes):
        read = cluster_reads.get(cluster['name']) or {'error': 'not read'}
        objects = user_objects(read.get('modules'))
        listed, unreadable = {}, []
        for host in cluster['hosts']:
            nread = node_reads.get(host) or {'error': 'not read'}
            if nread.get('error') is not None:
                unreadable.append('%s: %s' % (host, nread['error']))
            else:
                listed[host] = keys_of(nread.get('artifacts'))
        object_keys = [obj['key'] for obj in objects]
        missing = [dict(module=obj['label'], missing_on=[host for host in listed if obj['key'] not in listed[host]])
                   for obj in objects]
        missing = [entry for entry in missing if entry['missing_on']]
        orphans = [dict(artifact=key, node=host) for host in listed for key in listed[host] if key not in object_keys]
        failed = read.get('error') is not None
        out.append({'cluster': cluster['name'],
                    'module_objects': None if failed else ['%s %s %s' % (o['module_name'], o['semantic_version'], o['version'])
                                                           for o in objects],
                    'cluster_error': read.get('error'), 'nodes': listed, 'unreadable_nodes': unreadable,
                    'objects_missing_artifacts': missing, 'artifacts_without_object': orphans,
                    'in_sync': not (missing or orphans or unreadable or failed)})
    return out


def drift_lines(status):
    """The drift report as lines of text."""
    lines = []
    for c in status:
        lines.append('cluster %s: %s' % (c['cluster'], 'in sync' if c['in_sync'] else 'DRIFT'))
        if c['cluster_error']:
            lines.append('  cannot read the module objects: %s' % c['cluster_error'])
        lines.append('  module objects: %s' % (', '.join(c['module_objects'] or []) or 'none'))
        for node, keys in c['nodes'].items():
            lines.append('  %s: %s' % (node, ', '.join(keys) or 'no artifacts'))
        for entry in c['unreadable_nodes']:
            lines.append('  UNREADABLE ' + entry)
        for entry in c['objects_missing_artifacts']:
            lines.append('  DRIFT module object %s has no artifact on %s' % (entry['module'], ', '.join(entry['missing_on'])))
        for entry in c['artifacts_without_object']:
            lines.append('  DRIFT artifact %s on %s has no module object' % (entry['artifact'], entry['node']))
    return lines


class Restore(Step):
    name, task_file = 'restore', 'summary.yml'
    doc = 'where to set allow_modules_upload back to false ([{cluster, via, url}]), through a host of hosts'
    todo_options = ('hosts',)
    records = False

    def todo(self, run, hosts=None):
        return restore_targets(run, hosts or [])


class Errors(Step):
    name, task_file = 'errors', 'errors.yml'
    doc = 'the errors of the cluster of host (the host fails with them at the end of the run)'
    todo_options = ('host',)
    records = False

    def todo(self, run, host=None):
        return cluster_errors(run, host)
