# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every decision of the module_lifecycle role, as pure functions over plain data (no I/O).

The role's tasks only run modules and hand what they return to these functions, through the
``redis_module_lifecycle_plan`` action plugin (the read pass) and the ``lifecycle_*`` filters (the steps
after a write). The data they share:

package
    A present item, as the controller read its package: ``src``, ``module_name``, ``version`` (int),
    ``semantic_version``, ``architecture``, ``operating_systems``, ``key``, ``label``.
run
    The state of one run for one batch of hosts (a dict, JSON-serialisable so it can be an Ansible fact)::

        present, absent        the items (packages; absent versions)
        clusters               [{name, leader, url, hosts, keys, modules, create, error, allow_modules_upload}]
        nodes                  {host: {cluster, url, keys, uploads, removals, error, verified}}
        errors, changes        {cluster: [text]} what went wrong / what changed, for the summary
        uploads_enabled        [cluster] where a write of this run turned allow_modules_upload on
        verification           [{cluster, key, label, ccs, ready, total, lacking}]
        work                   whether anything may have to be written (False: a no-op run ends after the read)

Every version goes through ``_artifact.parse_version``/``coerce_version`` and every identity through
``_listing.key_of``: the rules the modules use. This module is private to this collection.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
from collections.abc import Mapping

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import (
    check_node_compatibility,
    coerce_version,
    module_name_problem,
    parse_version,
)
from ansible_collections.redisops.custom_modules.plugins.module_utils._bdb_upgrade import select_databases
from ansible_collections.redisops.custom_modules.plugins.module_utils._listing import ModuleVersion, key_of
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import size_warning
from ansible_collections.redisops.custom_modules.plugins.module_utils import _redis_version

DEFAULT_CLUSTER = 'default'
ALLOW_UPLOADS = {'true': 'true', 'yes': 'true', 'on': 'true', '1': 'true',
                 'false': 'false', 'no': 'false', 'off': 'false', '0': 'false',
                 'temporary': 'temporary'}
UPLOADS_HINT = ('Uploads are disabled on this cluster (allow_modules_upload is false): set module_lifecycle_allow_uploads '
                'to true (enable it) or temporary (enable it for this run and restore it afterwards).')


# Keys of a registered result that are never read: ansible-core 2.21 marks ``skipped_reason`` (set on a loop with no
# items) deprecated, and reading it through a templated container prints the deprecation.
UNREAD_RESULT_KEYS = ('skipped_reason',)


def plain(value):
    """A copy of ``value`` made of plain dicts and lists (leaves shared: they are immutable).

    The run and registered results reach the filters as ansible-core's templated containers (2.19+). Deep-copying
    those copies their templating machinery too (on 2.21, a deprecation about plugin loaders with aliases); this
    copies only the data, and leaves out ``UNREAD_RESULT_KEYS``.
    """
    if isinstance(value, Mapping):
        return dict((key, plain(value[key])) for key in value if key not in UNREAD_RESULT_KEYS)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


# -- inputs -----------------------------------------------------------------------------------------

def uploads_mode(value):
    """module_lifecycle_allow_uploads as 'true', 'false' or 'temporary'; None for anything else.

    >>> uploads_mode(True), uploads_mode('Temporary'), uploads_mode('maybe')
    ('true', 'temporary', None)
    """
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return ALLOW_UPLOADS.get(str(value).strip().lower())


def label_of(module_name, version, semantic_version=None):
    """How a version is named in messages: ``hello 1.0.0 (10000)``; ``?`` when the semantic version is unknown."""
    return '%s %s (%s)' % (module_name, semantic_version or '?', version)


def package_entry(package, state):
    """A package (the lookup's or inspector's fields) as a plan entry."""
    version = coerce_version(package['version'], package['version'])
    return dict(src=package.get('path'), module_name=package['module_name'], version=version,
                semantic_version=package.get('semantic_version'), architecture=package.get('architecture'),
                operating_systems=list(package.get('operating_systems') or []), state=state, size=package.get('size'),
                # the module.json fields that say which Redis versions can load it
                redis_fields=dict((name, (package.get('metadata') or {}).get(name)) for name in _redis_version.FIELDS),
                key=key_of(package['module_name'], version),
                label=label_of(package['module_name'], version, package.get('semantic_version')))


def absent_entry(module_name, wanted, semantic_version=None):
    """An absent item's entry, or a problem text: ``wanted`` is the version as the user wrote it."""
    version = parse_version(wanted)
    if version is None or version <= 0:
        return None, ('%s needs version (the numeric version, e.g. 10000, or the semantic version, e.g. 1.0.0), got %r'
                      % (module_name, wanted))
    if semantic_version is None and isinstance(wanted, str) and wanted.count('.') == 2:
        semantic_version = wanted.strip()
    return dict(src=None, module_name=module_name, version=version, semantic_version=semantic_version, state='absent',
                key=key_of(module_name, version), label=label_of(module_name, version, semantic_version)), None


def plan_items(items, default_state, inspect):
    """Check the items of module_lifecycle_artifacts and read their packages: ``(present, absent, problems)``.

    ``items`` passed meta/argument_specs.yml (a list of dicts with known keys and a valid state);
    what is checked here is what a spec cannot say: src or module_name + version, not both; a
    module_name item is absent; the version reads as a version; no version listed twice with two
    different packages, nor as present and absent. ``inspect(src)`` returns the package's fields
    (path, module_name, version, semantic_version, architecture, operating_systems) or raises
    ValueError with a message naming the file.
    """
    present, absent, problems = [], [], []
    for index, item in enumerate(items or []):
        where = 'module_lifecycle_artifacts[%d]' % index
        state = item.get('state') or default_state
        wanted = item.get('version')
        if wanted is None:
            wanted = item.get('semantic_version')
        if item.get('src'):
            if item.get('module_name') or item.get('version') is not None:
                problems.append('%s: give either src or module_name + version, not both' % where)
                continue
            try:
                package = inspect(item['src'])
            except ValueError as exc:
                problems.append(str(exc))
                continue
            (present if state == 'present' else absent).append(package_entry(package, state))
        elif item.get('module_name'):
            name = str(item['module_name'])
            if state != 'absent':
                problems.append('%s: an item with module_name + version can only be state: absent; give src (the package) '
                                'to have a version present' % where)
                continue
            # the modules' own rule for a module name (one safe path segment)
            problem = module_name_problem(name)
            if problem:
                problems.append('%s: %s' % (where, problem))
                continue
            entry, problem = absent_entry(name, wanted, item.get('semantic_version'))
            if problem:
                problems.append('%s: %s' % (where, problem))
            else:
                absent.append(entry)
        else:
            problems.append('%s: needs src (a package), or module_name + version with state: absent' % where)
    return _deduplicate(present, absent, problems)


def _deduplicate(present, absent, problems):
    """One entry per version; the same version from two different files is refused (a version is immutable)."""
    seen = {}
    for entry in present:
        other = seen.get(entry['key'])
        if other is not None and other['src'] != entry['src']:
            problems.append('%s is given twice, by %s and %s: a version is immutable, keep one package'
                            % (entry['label'], other['src'], entry['src']))
        seen.setdefault(entry['key'], entry)
    gone = {}
    for entry in absent:
        if entry['key'] in seen:
            problems.append('%s is listed both as present and as absent' % entry['label'])
        gone.setdefault(entry['key'], entry)
    return list(seen.values()), list(gone.values()), problems


def setting_problems(allow_uploads):
    """Problems with the role's settings that meta/argument_specs.yml cannot check (allow_uploads is raw)."""
    if uploads_mode(allow_uploads) is None:
        return ['module_lifecycle_allow_uploads must be true, false or temporary (got %s)' % (allow_uploads,)]
    return []


# -- the batch ----------------------------------------------------------------------------------------

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
    """The run state after the read pass: what each cluster and node needs (see the module docstring).

    Reads that failed leave the cluster or node with ``error`` set (read_problems() names them).
    """
    clusters = group_clusters(nodes)
    urls = dict((node['host'], node['url']) for node in nodes)
    run = dict(present=present, absent=absent, clusters=[], nodes={}, errors={}, changes={}, uploads_enabled=[],
               verification=[], work=False)
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
    verify(run)
    return run


def packages(run, keys):
    """The present packages with these keys, in plan order."""
    return [pkg for pkg in run['present'] if pkg['key'] in keys]


def cluster_of(run, name):
    for cluster in run['clusters']:
        if cluster['name'] == name:
            return cluster
    return None


def removal_candidates(run, prune):
    """Keys a removal step may delete somewhere (module objects or artifacts): absent items, and with
    ``prune`` the other versions of the present modules. Empty: the removal step has nothing to do."""
    wanted = _unwanted(run, prune)
    found = set()
    for cluster in run['clusters']:
        found.update(key for key, name in zip(cluster['keys'], [m['module_name'] for m in cluster['modules']])
                     if wanted(key, name))
    for node in run['nodes'].values():
        found.update(key for key in node['keys'] if wanted(key, ModuleVersion.parse(key).name))
    return sorted(found)


def _unwanted(run, prune):
    absent_keys = set(entry['key'] for entry in run['absent'])
    present_keys = set(pkg['key'] for pkg in run['present'])
    present_names = set(pkg['module_name'] for pkg in run['present'])

    def unwanted(key, name, allow_prune=True):
        if key in absent_keys:
            return True
        return bool(prune and allow_prune and name in present_names and key not in present_keys)
    return unwanted


# -- checks before any write ----------------------------------------------------------------------------

class _PackageView(object):
    """The attributes check_node_compatibility reads, from a plan entry."""

    def __init__(self, pkg):
        self.module_name = pkg['module_name']
        self.semantic_version = pkg.get('semantic_version')
        self.architecture = pkg.get('architecture')
        self.operating_systems = pkg.get('operating_systems') or None


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
    for pkg in packages(run, run['nodes'][host]['uploads']):
        found = check_node_compatibility(_PackageView(pkg), node)
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
    cluster = cluster_of(run, name)
    return bool(cluster['create']) or any(run['nodes'][host]['uploads'] for host in cluster['hosts'])


def record_checks(run, results_by_host):
    """Set ``check_problems`` from the per-node check-mode runs of redis_module_artifact (run_from: node)."""
    run = plain(run)
    problems = []
    for host, registered in results_by_host:
        for res in (registered or {}).get('results') or []:
            if res.get('failed'):
                hint = ' ' + UPLOADS_HINT if res.get('error_code') == 'modules_upload_disabled' else ''
                label = (res.get('item') or {}).get('label', '?')
                problems.append('%s (%s): %s%s' % (host, label, res.get('msg') or 'failed', hint))
    run['check_problems'] = problems
    return run


# -- after each write step ------------------------------------------------------------------------------

def todo(run, host=None):
    """The module objects to create, ``[{cluster, url, leader, pkg}]``: every cluster's, or with ``host`` those
    of the clusters it leads (each leader creates its cluster's objects, the leaders in parallel)."""
    creates = []
    for cluster in run['clusters']:
        if host is not None and cluster['leader'] != host:
            continue
        for pkg in packages(run, cluster['create']):
            creates.append(dict(cluster=cluster['name'], url=cluster['url'], leader=cluster['leader'], pkg=pkg))
    return creates


def host_uploads(run, host):
    """The packages this host must receive now ([] when its cluster already failed)."""
    node = run['nodes'].get(host)
    if node is None or run['errors'].get(node['cluster']):
        return []
    return packages(run, node['uploads'])


def record_creates(run, results):
    """Fold the results of the module-object creations (loop items ``{cluster, pkg}``) into the run."""
    run = plain(run)
    for res in results or []:
        item = res.get('item') or {}
        name, pkg = item.get('cluster'), item.get('pkg') or {}
        cluster = cluster_of(run, name)
        if cluster is None or res.get('skipped'):
            continue
        if res.get('failed'):
            run['errors'][name].append('module object: %s' % (res.get('msg') or 'failed'))
            continue
        if res.get('changed'):
            run['changes'][name].append('module object created: %s' % pkg.get('label'))
        if pkg.get('key') not in cluster['keys']:
            cluster['keys'].append(pkg['key'])
            cluster['modules'].append(dict(module_name=pkg['module_name'], version=pkg['version'],
                                           semantic_version=pkg.get('semantic_version'), key=pkg['key'],
                                           label=pkg['label']))
        _note_gate(run, name, res)
    return run


def _note_gate(run, cluster, res):
    if res.get('allow_modules_upload_changed') and cluster not in run['uploads_enabled']:
        run['uploads_enabled'].append(cluster)


def _last_listing(results):
    """The node's keys as the last result that listed them reports (after its write), or None."""
    listings = [res['artifacts'] for res in results if isinstance(res.get('artifacts'), list) and not res.get('failed')]
    return keys_of(listings[-1]) if listings else None


def record_uploads(run, registered_by_host):
    """Fold each host's upload results (``[(host, registered)]``) into the run, then verify.

    A failed upload is an error of the host's cluster. The module lists the node's artifacts after
    each upload (in check mode, the prediction): that listing is what the node holds now.
    """
    run = plain(run)
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
                run['errors'][node['cluster']].append('artifact upload on %s: %s' % (host, res.get('msg') or 'failed'))
            elif res.get('changed'):
                run['changes'][node['cluster']].append('artifact uploaded: %s' % label)
            _note_gate(run, node['cluster'], res)
        listed = _last_listing(results)
        if listed is not None:
            node['keys'] = listed
    verify(run, record_errors=True)
    return run


def verify(run, record_errors=False):
    """Every node of each cluster lists every present package, and the cluster has its module object.

    Sets ``verification`` and each node's ``verified``; with ``record_errors`` a failed check is an
    error of its cluster (the summary fails those hosts).
    """
    run['verification'] = []
    for cluster in run['clusters']:
        for pkg in run['present']:
            lacking = [host for host in cluster['hosts'] if pkg['key'] not in run['nodes'][host]['keys']]
            check = dict(cluster=cluster['name'], key=pkg['key'], label=pkg['label'], ccs=pkg['key'] in cluster['keys'],
                         ready=len(cluster['hosts']) - len(lacking), total=len(cluster['hosts']), lacking=lacking)
            run['verification'].append(check)
            if record_errors and lacking:
                run['errors'][cluster['name']].append('verification: %s is not listed on %s (%d/%d nodes ready)'
                                                      % (pkg['label'], ', '.join(lacking), check['ready'], check['total']))
            if record_errors and not check['ccs']:
                run['errors'][cluster['name']].append('verification: the cluster has no module object for %s' % pkg['label'])
    present_keys = [pkg['key'] for pkg in run['present']]
    for node in run['nodes'].values():
        node['verified'] = not run['errors'].get(node['cluster']) and all(key in node['keys'] for key in present_keys)
    return run


# -- removal --------------------------------------------------------------------------------------------

# A cluster is complete when every node of it lists every present package and it has their module objects: only then
# are its databases upgraded and its other versions pruned. The play may hold only some nodes of a cluster (serial
# batches, AWX job slices, --limit, a concurrent run): every node of the cluster is read (GET /v1/nodes, then each
# node this batch does not hold, at its address), and prune then also removes the pruned artifacts from those nodes,
# so the cluster ends as one run over all its nodes would leave it. The read is made only for a cluster with a
# database upgrade due or something to prune.

def prune_keys(run, cluster):
    """The keys only prune would remove from this cluster (module objects, or artifacts of its nodes in this run)."""
    by_prune, by_absent = _unwanted(run, True), _unwanted(run, False)
    keys = set(cluster['keys'])
    for host in cluster['hosts']:
        keys.update(run['nodes'][host]['keys'])
    return sorted(key for key in keys
                  if by_prune(key, ModuleVersion.parse(key).name) and not by_absent(key, ModuleVersion.parse(key).name))


def batch_complete(run, cluster):
    """Every node of the cluster in this batch lists every present package, and the cluster has their module objects."""
    present = [pkg['key'] for pkg in run['present']]
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
        if run['errors'].get(name) or (host is not None and cluster['leader'] != host):
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
    run = plain(run)
    for res in results or []:
        item = res.get('item') or {}
        cluster = cluster_of(run, item.get('cluster'))
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
        if run['errors'].get(cluster['name']):
            continue
        for node in (cluster.get('cluster_check') or {}).get('outside') or []:
            for key in node.get('removals') or []:
                ident = ModuleVersion.parse(key)
                out.append(dict(cluster=cluster['name'], leader=cluster['leader'], node=node['label'], url=node['url'],
                                module_name=ident.name, version=ident.version, key=key))
    return out


def record_outside_removals(run, results):
    """Fold the deletions on the nodes outside the play (loop items from outside_removals) into the run."""
    run = plain(run)
    for res in results or []:
        item = res.get('item') or {}
        name = item.get('cluster')
        if cluster_of(run, name) is None or res.get('skipped'):
            continue
        if res.get('failed'):
            run['errors'][name].append('artifact removal on %s, not in this run (or batch): %s'
                                       % (item.get('node'), res.get('msg') or 'failed'))
            continue
        if res.get('changed'):
            run['changes'][name].append('artifact deleted: %s' % item.get('key'))
        if isinstance(res.get('artifacts'), list) and item.get('key') in keys_of(res['artifacts']):
            run['errors'][name].append('verification: still listed on %s: %s' % (item.get('node'), item.get('key')))
    return run


def object_removals(run, prune, host=None):
    """The module objects to delete, ``[{cluster, url, leader, module_name, version, key, label, prune}]``.

    Absent items always; with ``prune`` the other versions of the present modules, once the cluster is
    complete (cluster_ready(): every node of it lists every present package). A cluster with an error is left alone. With ``host``, only the
    clusters it leads (each leader deletes its cluster's objects, the leaders in parallel).
    """
    unwanted = _unwanted(run, prune)
    out = []
    for cluster in run['clusters']:
        if run['errors'].get(cluster['name']) or (host is not None and cluster['leader'] != host):
            continue
        verified = cluster_ready(cluster) if prune else False
        absent_keys = set(entry['key'] for entry in run['absent'])
        for obj in cluster['modules']:
            if unwanted(obj['key'], obj['module_name'], allow_prune=verified):
                out.append(dict(cluster=cluster['name'], url=cluster['url'], leader=cluster['leader'],
                                module_name=obj['module_name'], version=obj['version'], key=obj['key'],
                                label=obj['label'], prune=obj['key'] not in absent_keys))
    return out


def record_object_removals(run, results, prune):
    """Fold the module-object deletions into the run, and choose each node's artifacts to delete.

    A pruned version a database uses is kept with its artifacts (``kept (in use)``); an absent item
    a database uses stops its cluster. An artifact is deleted only where its module object is gone.
    """
    run = plain(run)
    warnings = []
    for res in results or []:
        item = res.get('item') or {}
        name = item.get('cluster')
        cluster = cluster_of(run, name)
        if cluster is None or res.get('skipped'):
            continue
        in_use = res.get('databases') is not None
        if item.get('prune') and in_use:
            run['changes'][name].append('kept (in use): %s' % item['label'])
            warnings.append('prune kept %s on cluster %s: it is used by database(s) %s. %s'
                            % (item['label'], name, ', '.join(str(db) for db in res['databases']) or '(unknown)',
                               res.get('msg') or ''))
            continue
        if res.get('failed'):
            run['errors'][name].append('removal of the module object: %s' % (res.get('msg') or 'failed'))
            continue
        if res.get('changed'):
            run['changes'][name].append('module object deleted: %s' % item['label'])
        cluster['keys'] = [key for key in cluster['keys'] if key != item['key']]
        cluster['modules'] = [obj for obj in cluster['modules'] if obj['key'] != item['key']]
    unwanted = _unwanted(run, prune)
    for cluster in run['clusters']:
        verified = cluster_ready(cluster) if prune else False
        for host in cluster['hosts']:
            node = run['nodes'][host]
            node['removals'] = [] if run['errors'].get(cluster['name']) else [
                key for key in node['keys']
                if key not in cluster['keys'] and unwanted(key, ModuleVersion.parse(key).name, allow_prune=verified)]
        for node in (cluster.get('cluster_check') or {}).get('outside') or []:
            node['removals'] = [] if run['errors'].get(cluster['name']) or not verified else [
                key for key in node['keys'] if key not in cluster['keys'] and unwanted(key, ModuleVersion.parse(key).name)]
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
    run = plain(run)
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
                run['changes'][node['cluster']].append('artifact deleted: %s' % (res.get('item') or {}).get('key'))
        listed = _last_listing(results)
        if listed is not None:
            node['keys'] = listed
        for res in results:
            key = (res.get('item') or {}).get('key')
            if not res.get('failed') and key in node['keys']:
                errors.append('verification: still listed on %s: %s' % (host, key))
    return run


# -- the end --------------------------------------------------------------------------------------------

def restore_targets(run, active_hosts):
    """Where to set allow_modules_upload back to false: ``[{cluster, via, url}]`` for every cluster a write of
    this run enabled it on, through a host of the cluster still in the play."""
    out = []
    for name in run.get('uploads_enabled') or []:
        cluster = cluster_of(run, name)
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
        errors = _unique(run['errors'].get(name) or [])
        changes = run['changes'].get(name) or []
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
    return _unique(run['errors'].get(node['cluster']) or [])


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


# -- the drift report -----------------------------------------------------------------------------------

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


# -- database upgrades (module_lifecycle_upgrade_databases) --------------------------------------------
#
# After verification and before removal, each cluster's databases that use an older version of a present
# module are upgraded (redis_database_module_upgrade), one at a time, through the cluster's leader; the
# clusters in parallel. Which databases, and to what, is decided by _bdb_upgrade (the module's own rule).
# A cluster entry gains ``upgrades`` (the plan: [{uid, name, redis_version, upgrades}]) and ``upgraded``
# (what happened: [{name, upgrades, changed, failed}]); a failed upgrade is an error of its cluster, which
# stops its remaining upgrades and its removals.

ARROW = u'\u2192'
UPGRADE_SETTING_PROBLEM = ('module_lifecycle_upgrade_databases must be false, true (every database that uses an older '
                           'version of a module in module_lifecycle_artifacts) or a list of database names (got %r)')
UPGRADE_FAILED_HINT = ('The remaining databases of this cluster were not upgraded and nothing was removed from it (every '
                       'module object and artifact is kept). Fix the cause, then run the role again: the databases '
                       'already upgraded are left as they are.')
_BOOLEANS = {'true': True, 'yes': True, 'on': True, '1': True, 'false': False, 'no': False, 'off': False, '0': False, '': False}


def upgrade_setting(value):
    """module_lifecycle_upgrade_databases as ``(wanted, problem)``: wanted is False, True or a list of names.

    >>> upgrade_setting('yes'), upgrade_setting(['orders']), upgrade_setting([])
    ((True, None), (['orders'], None), (False, None))
    """
    if value is None or isinstance(value, bool):
        return bool(value), None
    if isinstance(value, str):
        if value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()], None
        return False, UPGRADE_SETTING_PROBLEM % (value,)
    if isinstance(value, (list, tuple)):
        names = []
        for name in value:
            if not isinstance(name, str) or not name.strip():
                return False, UPGRADE_SETTING_PROBLEM % (list(value),)
            if name.strip() not in names:
                names.append(name.strip())
        return (names or False), None
    return False, UPGRADE_SETTING_PROBLEM % (value,)


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
    for pkg in packages(run, cluster.get('create') or []):
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
    run = plain(run)
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
        if not cluster.get('upgrades') or run['errors'].get(cluster['name']):
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
        if run['errors'].get(cluster['name']):
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
    run = plain(run)
    for dummy, registered in registered_by_host:
        for res in (registered or {}).get('results') or []:
            item = res.get('item') or {}
            cluster = cluster_of(run, item.get('cluster'))
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
                run['errors'][cluster['name']].append(
                    "database upgrade of '%s' failed: %s %s%s" % (
                        name, res.get('msg') or 'failed', UPGRADE_FAILED_HINT,
                        ' Not upgraded: %s.' % ', '.join(left) if left else ''))
            elif done['changed']:
                run['changes'][cluster['name']].append(upgrade_line(name, upgrades))
    return run
