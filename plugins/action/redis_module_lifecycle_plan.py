# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The read pass of the module_lifecycle role: one task, on the controller, for a whole batch of nodes.

Checks the items and reads their packages on the controller, reads every cluster's module objects
and every node's artifacts at once (a bounded pool of threads, one client per node, the collection's
client with its retries, TLS settings, hints and redaction), decides what each cluster and node needs
(plugin_utils._lifecycle), and, when something must be uploaded, checks each node that needs a
package (architecture and OS from GET /v1/nodes) and each cluster's allow_modules_upload, before
anything is written anywhere. Nothing is written.

With ``mode: restore`` (the role's end of a run with ``module_lifecycle_allow_uploads: temporary``), it sets
``allow_modules_upload`` back to false on the clusters it is given, all at once on the same pool of threads: one task
for the batch rather than a module run per cluster.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _client
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError
from ansible_collections.redisops.custom_modules.plugins.module_utils._nodes import identify_node
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import apply_setting, upload_limit_mb, upload_setting
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import checks, items, plan, report, upgrades
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._connection import role_argument_error, role_environment_warnings
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._controller_package import controller_package, package_metadata
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._download import Download, DownloadError, PackageCache

# Threads waiting on the network; a 2-core controller reads 100 nodes in a few of the server's latencies.
MAX_WORKERS = 32
NOTHING_CHANGED = 'Nothing was changed.'
DOWNLOAD_KEYS = frozenset(['url'] + list(items.DOWNLOAD_ONLY))

PLAN_ARGUMENT_SPEC = dict(
    mode=dict(type='str', choices=['apply', 'report', 'restore', 'cluster'], default='apply'),
    creates=dict(type='list', elements='dict', default=[]),
    nodes=dict(type='list', elements='dict', default=[]),
    restore=dict(type='list', elements='dict', default=[]),
    artifacts=dict(type='list', elements='dict', default=[]),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    package_cache=dict(type='str', default=''),
    allow_uploads=dict(type='raw', default=False),
    prune=dict(type='bool', default=False),
    read=dict(type='bool', default=True),
    cluster_reads=dict(type='list', elements='dict', default=[]),
    node_reads=dict(type='dict', default={}),
    check_nodes=dict(type='bool', default=True),
    upgrade_databases=dict(type='raw', default=False),
)


def plan_argument_spec():
    """The options of this action: the connection options (module_defaults of the action group) and the plan's."""
    return _argspec.merge_argument_spec(PLAN_ARGUMENT_SPEC)


def run_parallel(jobs, workers=MAX_WORKERS):
    """Run ``jobs`` (``{name: callable}``) on a bounded pool of threads: ``{name: {'value': ...} or {'error': text}}``.

    A RedisEnterpriseError (the client's failures: redacted, with the request and a hint) becomes its text;
    any other exception its type and text, so one bad node never hides the others.
    """
    results = {}
    if not jobs:
        return results

    def call(job):
        try:
            return {'value': job()}
        except RedisEnterpriseError as exc:
            return {'error': exc.msg}
        except Exception as exc:  # pylint: disable=broad-except
            return {'error': '%s: %s' % (type(exc).__name__, exc)}

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        futures = dict((name, pool.submit(call, job)) for name, job in jobs.items())
        for name, future in futures.items():
            results[name] = future.result()
    return results


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = dict()
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # unused since Ansible 2.5

        try:
            dummy, args = self.validate_argument_spec(argument_spec=plan_argument_spec())
        except AnsibleActionFail as exc:
            result.update(failed=True, changed=False, msg=role_argument_error(to_text(exc.message)))
            return result
        self._connection_args = dict((name, args.get(name)) for name in _argspec.CONNECTION_OPTIONS)
        self._warnings = role_environment_warnings(os.environ)
        self._lock = threading.Lock()
        try:
            return self._run(args, result)
        finally:
            if self._warnings:
                result['warnings'] = list(result.get('warnings') or []) + self._warnings

    def _run(self, args, result):
        nodes = [dict(host=to_text(node.get('host')), cluster=node.get('cluster') or plan.DEFAULT_CLUSTER,
                      url=to_text(node.get('url'))) for node in args['nodes']]
        result['changed'] = False
        problem = self._credentials_problem()
        if args['read'] and problem:
            return self._fail(result, [problem])

        if args['mode'] == 'restore':
            return self._restore(args['restore'], result)
        if args['mode'] == 'cluster':
            return self._create_objects(args['creates'], args['allow_uploads'], result)

        if args['mode'] == 'report':
            cluster_reads, node_reads = self._reads(args, nodes)
            status = report.drift(nodes, cluster_reads, node_reads)
            result.update(status=status, lines=report.drift_lines(status))
            return result

        problems = items.setting_problems(args['allow_uploads'])
        wanted, problem = items.upgrade_setting(args['upgrade_databases'])
        problems.extend([problem] if problem else [])
        self._cache = PackageCache(args['package_cache'] or None)
        self._downloads = {}
        present, absent, item_problems = items.plan_items(args['artifacts'], args['state'], self._inspect, self._fetch)
        problems.extend(item_problems)
        if problems:
            return self._fail(result, problems)

        cluster_reads, node_reads = self._reads(args, nodes)
        problems = plan.read_problems(plan.group_clusters(nodes), cluster_reads, node_reads)
        if problems:
            result['failed'] = True
            result['msg'] = '%s %s Bring the node back, or leave it out of this run (--limit), and run again.' % (
                NOTHING_CHANGED, ' '.join(problems))
            return result

        run = plan.plan(present, absent, nodes, cluster_reads, node_reads, args['prune'])
        if wanted:
            run, problems = upgrades.plan_upgrades(run, wanted, self._database_reads(args, run, wanted, cluster_reads))
            for cluster in run['clusters']:
                self._warnings.extend(cluster.pop('upgrade_warnings', None) or [])
            if problems:
                return self._fail(result, problems)
        if args['check_nodes'] and args['read']:
            problems = self._check(run, args['allow_uploads'], result)
            if problems:
                return self._fail(result, problems)
        # A registered result, not ansible_facts: the role reads it whether or not facts are injected as variables
        # (inject_facts_as_vars, off by default from ansible-core 2.24) and without the deprecation 2.20+ print.
        result['run'] = run.fact()
        if self._downloads:
            result['downloads'] = list(self._downloads.values())
        result['msg'] = 'present: %s; absent: %s; %s' % (
            ', '.join(pkg['label'] for pkg in present) or '-', ', '.join(entry['label'] for entry in absent) or '-',
            'something to do' if run['work'] else 'nothing to do')
        return result

    def _create_objects(self, creates, allow_uploads, result):
        """Create the module objects of ``creates`` ([{cluster, url, leader, pkg}]), every cluster at once.

        Each is exactly what redis_user_module does with ``artifact`` (its UserModuleManager, with the collection's
        client): the result of each is one loop result (``item`` = its entry), as the role's per-host task registers
        them, for ``lifecycle_record('cluster')``. A failed cluster is a failed result, not a failed task: the role
        records it as that cluster's error.
        """
        from ansible_collections.redisops.custom_modules.plugins.modules import redis_user_module as user_module
        check_mode = bool(self._task.check_mode)
        allowed = items.uploads_mode(allow_uploads) in ('true', 'temporary')
        # Each package's module.json, read (and decrypted when vaulted) here, once, as redis_user_module's action plugin
        # does: the threads only talk to the clusters.
        metadata = {}
        for item in creates:
            src = item['pkg']['src']
            if src not in metadata:
                metadata[src] = self._package_metadata(src)
        jobs = dict((index, self._create_job(user_module, item, metadata[item['pkg']['src']], allowed, check_mode))
                    for index, item in enumerate(creates) if 'error' not in metadata[item['pkg']['src']])
        done = run_parallel(jobs)
        results = []
        for index, item in enumerate(creates):
            read = metadata[item['pkg']['src']]
            outcome = done.get(index) or {'error': read['error']}
            res = outcome['value'] if 'value' in outcome else dict(failed=True, changed=False, msg=outcome['error'])
            res['item'] = item
            results.append(res)
            self._warnings.extend(w for w in res.pop('warnings', None) or [] if w not in self._warnings)
        outcomes = ['%s %s' % (res['item']['cluster'], 'failed' if res.get('failed') else 'created' if res.get('changed')
                               else 'present') for res in results]
        result.update(results=results, changed=any(res.get('changed') for res in results),
                      msg='module objects: %s' % ', '.join(outcomes))
        return result

    def _package_metadata(self, src):
        """``{'metadata', 'warnings'}`` of the package at ``src`` on the controller, or ``{'error'}``."""
        try:
            metadata, warnings = package_metadata(self._loader, src)
            return dict(metadata=metadata, warnings=warnings)
        except ArtifactError as exc:
            return dict(error='artifact %s' % to_text(exc.msg))
        except AnsibleError as exc:
            return dict(error='artifact %s: %s' % (src, to_text(exc)))

    def _create_job(self, user_module, item, package, allow_uploads, check_mode):
        def job():
            params = dict((name, option.get('default')) for name, option in user_module.argument_spec().items())
            params.update(self._connection_args)
            params.update(state='present', metadata=package['metadata'], allow_uploads=allow_uploads, remote_src=False,
                          timeout=params.get('timeout') or 30)
            view = _ModuleView(params, check_mode)
            for warning in package['warnings']:
                view.warn(warning)
            client = self._client(item['url'])
            manager = user_module.UserModuleManager(view, client)
            try:
                res = manager.run()
            except RedisEnterpriseError as exc:
                res = exc.to_result()
                res.update((key, value) for key, value in manager.uploads.result().items() if key not in exc.extra)
                res.update(failed=True, changed=False, redis_versions=manager.redis_versions)
            finally:
                client.close()
            res['warnings'] = view.warnings
            return res
        return job

    def _restore(self, targets, result):
        """Set allow_modules_upload back to false on every cluster of ``targets`` ([{cluster, url}]), at once."""
        check_mode = bool(self._task.check_mode)
        done = run_parallel(dict((target['cluster'], self._restore_job(target['url'], check_mode)) for target in targets))
        restored, problems = [], []
        for target in targets:
            outcome = done[target['cluster']]
            if 'error' in outcome:
                problems.append('cluster %s (via %s): %s' % (target['cluster'], target['url'], outcome['error']))
            else:
                restored.append(dict(outcome['value'], cluster=target['cluster']))
        result.update(restored=restored, changed=any(item['changed'] for item in restored))
        if problems:
            result.update(failed=True, msg='allow_modules_upload could not be set back to false: %s. Set it on those '
                          'clusters (PUT /v1/cluster {"allow_modules_upload": false}, or redisops.custom_modules.'
                          'redis_cluster_upload_gate with allowed: false).' % '; '.join(problems))
        else:
            result['msg'] = 'allow_modules_upload %sfalse on %s' % ('would be ' if check_mode else '',
                                                                    ', '.join(item['cluster'] for item in restored) or '-')
        return result

    def _restore_job(self, url, check_mode):
        def job():
            client = self._client(url)
            try:
                return apply_setting(client, False, check_mode)
            finally:
                client.close()
        return job

    @staticmethod
    def _fail(result, problems):
        result['failed'] = True
        result['msg'] = '%s %s' % (NOTHING_CHANGED, '; '.join(problems))
        return result

    # -- packages ------------------------------------------------------------------------------------
    def _fetch(self, item, where):
        """``(path, url as shown)`` of an item with url: a verified copy in the package cache, or ValueError."""
        try:
            download = Download.from_options(dict((k, v) for k, v in item.items() if v is not None and k in DOWNLOAD_KEYS),
                                             where + ': ')
            path, downloaded, warnings = self._cache.fetch(download)
        except DownloadError as exc:
            raise ValueError(exc.msg)
        self._warnings.extend(w for w in warnings if w not in self._warnings)
        self._downloads.setdefault(download.checksum, dict(url=download.shown, checksum=download.checksum, path=path,
                                                           downloaded=downloaded))
        return path, download.shown

    def _inspect(self, src):
        """The package at ``src`` (relative: the current directory, then like the copy module), or ValueError."""
        src = to_text(src)
        here = os.path.join(os.getcwd(), src)
        if not os.path.isabs(src) and not src.startswith('~') and os.path.isfile(here):
            path = here
        else:
            try:
                path = self._find_needle('files', os.path.expanduser(src))
            except AnsibleError:
                raise ValueError('module package %s not found on the controller; a relative path is looked up in the current '
                                 'directory, files/ and the folder of the role, then of the playbook' % src)
        path = os.path.abspath(path)
        try:
            with controller_package(self._loader, path) as package:
                return package.located(path)
        except ArtifactError as exc:
            raise ValueError(to_text(exc.msg))
        except AnsibleError as exc:
            raise ValueError('module package %s cannot be decrypted: %s' % (path, to_text(exc)))

    # -- reads ---------------------------------------------------------------------------------------
    def _credentials_problem(self):
        missing = [name for name in ('username', 'password') if not self._connection_args.get(name)]
        if not missing:
            return None
        return 'missing %s: set module_lifecycle_%s or the environment variable(s) %s' % (
            ' and '.join(missing), ' and module_lifecycle_'.join(missing),
            ' and '.join('REDIS_ENTERPRISE_%s' % name.upper() for name in missing))

    def _client(self, url):
        params = self._connection_args
        client = _client.Client(url, params['username'], params['password'],
                                validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                                timeout=params.get('timeout') or 30, allow_http=bool(params.get('allow_http')))
        # The same warnings the modules give (no TLS verification, http://), once per run rather than per node.
        with self._lock:
            for warning in getattr(client, 'warnings', None) or []:
                if warning not in self._warnings:
                    self._warnings.append(warning)
        return client

    def _call(self, url, method):
        def job():
            client = self._client(url)
            try:
                return getattr(client, method)()
            finally:
                client.close()
        return job

    def _reads(self, args, nodes):
        """``(cluster_reads, node_reads)``: read now from the controller, or taken from the per-node reads."""
        clusters = plan.group_clusters(nodes)
        if args['read']:
            jobs = dict((('cluster', c['name']), self._call(c['url'], 'list_modules')) for c in clusters)
            jobs.update((('node', n['host']), self._call(n['url'], 'list_artifacts')) for n in nodes)
            done = run_parallel(jobs)
            cluster_reads = dict((c['name'], _as_read(done[('cluster', c['name'])], 'modules')) for c in clusters)
            node_reads = dict((n['host'], dict(_as_read(done[('node', n['host'])], 'artifacts'), url=n['url'])) for n in nodes)
            return cluster_reads, node_reads
        cluster_reads = {}
        for res in args['cluster_reads']:
            name = (res.get('item') or {}).get('name')
            cluster_reads[name] = ({'error': res.get('msg') or 'failed'} if res.get('failed')
                                   else {'modules': res.get('modules') or []})
        node_reads = {}
        for node in nodes:
            res = args['node_reads'].get(node['host']) or {'failed': True, 'msg': 'not read'}
            node_reads[node['host']] = ({'error': res.get('msg') or 'failed', 'url': node['url']} if res.get('failed')
                                        else {'artifacts': res.get('artifacts') or [], 'url': node['url']})
        return cluster_reads, node_reads

    def _database_reads(self, args, run, wanted, cluster_reads):
        """``{cluster: {'bdbs', 'modules'} or {'error'}}`` for the clusters whose databases must be read: GET /v1/bdbs
        from the controller (once per cluster, only where an upgrade may be due), or what each cluster's first node read
        (run_from node: redis_user_module_info with databases: true returned the databases and every module)."""
        names = upgrades.upgrade_reads(run, wanted)
        by_name = dict((c['name'], c) for c in run['clusters'])
        if not args['read']:
            reads = {}
            for res in args['cluster_reads']:
                name = (res.get('item') or {}).get('name')
                if name in names:
                    reads[name] = ({'error': res.get('msg') or 'failed'} if res.get('failed') else
                                   {'bdbs': res.get('databases'), 'modules': res.get('modules')} if res.get('databases') is not None
                                   else {'error': 'the databases were not read (redis_user_module_info databases: true)'})
            return reads
        done = run_parallel(dict((name, self._call(by_name[name]['url'], 'list_bdbs')) for name in names))
        return dict((name, {'error': done[name]['error']} if 'error' in done[name] else
                     {'bdbs': done[name]['value'] or [], 'modules': cluster_reads[name].get('modules') or []})
                    for name in names)

    # -- checks before any write -----------------------------------------------------------------------
    def _check(self, run, allow_uploads, result):
        """Read allow_modules_upload of every cluster that must receive an upload, and GET /v1/nodes of every
        cluster with a node that needs a package; return the problems (each names its cluster or node)."""
        jobs = {}
        for cluster in run['clusters']:
            if not checks.needs_upload(run, cluster['name']):
                continue
            jobs[('gate', cluster['name'])] = self._call(cluster['url'], 'get_cluster')
            if any(run['nodes'][host]['uploads'] for host in cluster['hosts']):
                jobs[('nodes', cluster['name'])] = self._call(cluster['url'], 'list_nodes')
        done = run_parallel(jobs)
        problems = []
        warnings = []
        for cluster in run['clusters']:
            gate = done.get(('gate', cluster['name']))
            if gate is not None:
                if gate.get('error'):
                    problems.append('cluster %s (GET /v1/cluster via %s): %s' % (cluster['name'], cluster['leader'], gate['error']))
                else:
                    cluster['allow_modules_upload'] = upload_setting(gate['value'])
                    warnings.extend(checks.upload_limit_warnings(run, cluster, upload_limit_mb(gate['value'])))
            listed = done.get(('nodes', cluster['name']))
            if listed is None:
                continue
            if listed.get('error'):
                problems.append('cluster %s (GET /v1/nodes via %s): %s' % (cluster['name'], cluster['leader'], listed['error']))
                continue
            for host in cluster['hosts']:
                if not run['nodes'][host]['uploads']:
                    continue
                node, how = identify_node(listed['value'] or [], run['nodes'][host]['url'])
                if node is None:
                    warnings.append('cannot tell which node of cluster %s %s is (no node has that address, and the nodes differ in '
                                    'operating system or architecture), so its packages were not compared with it'
                                    % (cluster['name'], host))
                problems.extend(checks.compatibility_problems(run, host, node, listed['value'] or [], how))
        problems.extend(checks.gate_problems(run, allow_uploads))
        self._warnings.extend(warnings)
        return problems


class _ModuleView(object):
    """What a module's manager reads of its AnsibleModule (params, check mode, diff, warn), for running one on the
    controller inside this action."""

    def __init__(self, params, check_mode):
        self.params = params
        self.check_mode = check_mode
        self._diff = False
        self.warnings = []

    def warn(self, warning):
        if warning not in self.warnings:
            self.warnings.append(warning)


def _as_read(done, field):
    if 'error' in done:
        return {'error': done['error']}
    return {field: done['value'] or []}
