# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cases the tests of plugin_utils._lifecycle share: packages, batches, listings and registered results."""

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items, plan, removal

PKG1 = dict(path='/p/hello-1.0.0.zip', module_name='hello', version=10000, semantic_version='1.0.0',
            architecture='x86_64', operating_systems=None)


PKG2 = dict(path='/p/hello-2.0.0.zip', module_name='hello', version=20000, semantic_version='2.0.0',
            architecture='x86_64', operating_systems=['rhel9'])


PACKAGES = {'hello-1.0.0.zip': PKG1, 'hello-2.0.0.zip': PKG2,
            'copy-of-1.0.0.zip': dict(PKG1, path='/p/copy-of-1.0.0.zip')}


def inspect(src):
    if src not in PACKAGES:
        raise ValueError('%s: no such file' % src)
    return Package(**PACKAGES[src])


def entry(pkg, state='present'):
    return items.package_entry(Package(**pkg), state)


def nodes(*specs):
    """nodes('c1:h1,h2', 'c2:h3') -> [{host, cluster, url}]"""
    out = []
    for spec in specs:
        cluster, hosts = spec.split(':')
        out.extend(dict(host=h, cluster=cluster, url='https://%s:9443' % h) for h in hosts.split(','))
    return out


def art(name, version):
    return dict(module_name=name, version=version)


def obj(name, version, semver='?', **extra):
    return dict(dict(module_name=name, version=version, semantic_version=semver, uid='%s-%s' % (name, version)), **extra)


def reads(modules=None, artifacts=None, errors=None):
    """cluster_reads/node_reads for nodes('c1:a,b') by default."""
    errors = errors or {}
    cluster_reads = {'c1': {'error': errors['c1']} if 'c1' in errors else {'modules': modules or []}}
    node_reads = {}
    for host in ('a', 'b'):
        node_reads[host] = ({'error': errors[host], 'url': 'https://%s:9443' % host} if host in errors
                            else {'artifacts': (artifacts or {}).get(host, []), 'url': 'https://%s:9443' % host})
    return cluster_reads, node_reads


def upload_result(host_keys, changed=True, failed=False, gate=False):
    res = dict(changed=changed, item={'label': 'hello 1.0.0 (10000)'}, allow_modules_upload_changed=gate)
    if failed:
        res.update(failed=True, msg='connection broke')
    else:
        res['artifacts'] = [art(*key.split('/')) for key in host_keys]
    return {'results': [res]}


def cluster_read(cluster='c1', leader='a', nodes_listed=None, **extra):
    """A redis_module_artifact_info result with cluster_nodes=true, as the role's loop registers it."""
    return dict(dict(item=dict(cluster=cluster, leader=leader, upgrade=False, prune=True), changed=False,
                     nodes=nodes_listed or []), **extra)


def in_play(uid, host):
    return dict(uid=uid, addr=host, url='https://%s:9443' % host, skipped=True, artifacts=None, error=None)


def outside(uid, addr, artifacts=None, error=None):
    return dict(uid=uid, addr=addr, url='https://%s:9443' % addr, skipped=False, artifacts=artifacts, error=error)


def prune_setup(whole=True):
    """hello 1.0.0 and 2.0.0 on both nodes a and b of c1, 2.0.0 wanted; with ``whole``, the cluster read whole
    (it has only a and b, both in the play)."""
    modules = [obj('hello', 10000, '1.0.0'), obj('hello', 20000, '2.0.0')]
    listed = {'a': [art('hello', 10000), art('hello', 20000)], 'b': [art('hello', 10000), art('hello', 20000)]}
    run = plan.plan([entry(PKG2)], [], nodes('c1:a,b'), *reads(modules, listed), prune=True)
    if whole:
        run = removal.record_cluster_nodes(run, [cluster_read(nodes_listed=[in_play(1, 'a'), in_play(2, 'b')])])
    return run


READ_C1 = dict(cluster='c1', url='https://a:9443', leader='a', skip=['https://a:9443', 'https://b:9443'])


V1, V2 = art('hello', 10000), art('hello', 20000)


def redis(*versions):
    return [dict(db_type='redis', redis_version=v) for v in versions]
