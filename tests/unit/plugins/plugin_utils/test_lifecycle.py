# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every decision of the module_lifecycle role (plugin_utils._lifecycle), as tables of cases."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import Run
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import checks, items, plan, removal, report, writes

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


# -- items -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('given, state, present, absent, problem', [
    ([], 'present', [], [], None),
    ([{'src': 'hello-1.0.0.zip'}], 'present', ['hello/10000'], [], None),
    ([{'src': 'hello-1.0.0.zip'}], 'absent', [], ['hello/10000'], None),
    ([{'src': 'hello-1.0.0.zip', 'state': 'absent'}], 'present', [], ['hello/10000'], None),
    # the bug of issue 7: "10000.0" is the float spelling of 10000, as the modules read it
    ([{'module_name': 'hello', 'version': '10000.0', 'state': 'absent'}], 'present', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': 10000, 'state': 'absent'}], 'present', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': 10000.0}], 'absent', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': '1.2.3'}], 'absent', [], ['hello/10203'], None),
    ([{'module_name': 'hello', 'semantic_version': '2.0.0'}], 'absent', [], ['hello/20000'], None),
    ([{'module_name': 'hello', 'version': '1.0.0'}, {'module_name': 'hello', 'version': 10000}], 'absent', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': 'one'}], 'absent', [], [], 'hello needs version'),
    ([{'module_name': 'hello'}], 'absent', [], [], 'got None'),
    ([{'module_name': 'hello', 'version': True}], 'absent', [], [], 'needs version'),
    ([{'module_name': 'hello', 'version': '1.200.0'}], 'absent', [], [], 'needs version'),
    ([{'module_name': 'hello', 'version': 10000}], 'present', [], [], 'can only be state: absent'),
    # the modules' module-name rule
    ([{'module_name': '../hello', 'version': 10000}], 'absent', [], [], 'contains a path separator'),
    ([{'module_name': 'hel lo', 'version': 10000}], 'absent', [], [], 'contains whitespace'),
    ([{'src': 'hello-1.0.0.zip', 'module_name': 'hello'}], 'present', [], [], 'not both'),
    ([{'state': 'absent'}], 'present', [], [], 'needs src (a package), or module_name'),
    ([{'src': 'missing.zip'}], 'present', [], [], 'missing.zip: no such file'),
    ([{'src': 'hello-1.0.0.zip'}, {'src': 'copy-of-1.0.0.zip'}], 'present', ['hello/10000'], [], 'is given twice'),
    ([{'src': 'hello-1.0.0.zip'}, {'src': 'hello-1.0.0.zip'}], 'present', ['hello/10000'], [], None),
    ([{'src': 'hello-1.0.0.zip'}, {'module_name': 'hello', 'version': 10000, 'state': 'absent'}], 'present',
     ['hello/10000'], ['hello/10000'], 'both as present and as absent'),
])
def test_plan_items(given, state, present, absent, problem):
    got_present, got_absent, problems = items.plan_items(given, state, inspect)
    assert [e['key'] for e in got_present] == present
    assert [e['key'] for e in got_absent] == absent
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems


def test_plan_items_names_the_item():
    problems = items.plan_items([{'src': 'hello-1.0.0.zip'}, {'module_name': 'x', 'version': 'bad'}], 'absent', inspect)[2]
    assert problems[0].startswith('module_lifecycle_artifacts[1]: x needs version')


def test_entries_carry_labels_and_semantic_versions():
    present, absent, dummy = items.plan_items([{'src': 'hello-2.0.0.zip'},
                                           {'module_name': 'hello', 'version': '1.0.0', 'state': 'absent'},
                                           {'module_name': 'other', 'version': 5, 'state': 'absent'}], 'present', inspect)
    assert present[0]['label'] == 'hello 2.0.0 (20000)' and present[0]['src'] == '/p/hello-2.0.0.zip'
    assert present[0]['operating_systems'] == ['rhel9']
    assert [a['label'] for a in absent] == ['hello 1.0.0 (10000)', 'other ? (5)']


@pytest.mark.parametrize('value, mode, problems', [
    (True, 'true', 0), (False, 'false', 0), ('temporary', 'temporary', 0), ('TEMPORARY', 'temporary', 0),
    ('yes', 'true', 0), ('off', 'false', 0), ('sometimes', None, 1), (2, None, 1),
])
def test_uploads_mode_and_settings(value, mode, problems):
    assert items.uploads_mode(value) == mode
    assert len(items.setting_problems(value)) == problems


# -- the batch -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('batch, expected', [
    ([], []),
    (nodes('c1:a,b'), [('c1', 'a', ['a', 'b'])]),
    (nodes('c2:x') + nodes('c1:a') + nodes('c2:y'), [('c2', 'x', ['x', 'y']), ('c1', 'a', ['a'])]),
    ([dict(host='h', cluster='', url='u'), dict(host='i', cluster=None, url='v')], [('default', 'h', ['h', 'i'])]),
])
def test_group_clusters(batch, expected):
    got = plan.group_clusters(batch)
    assert [(c['name'], c['leader'], c['hosts']) for c in got] == expected
    for cluster in got:
        assert cluster['url'] == 'https://%s:9443' % cluster['leader'] or cluster['name'] == 'default'


def reads(modules=None, artifacts=None, errors=None):
    """cluster_reads/node_reads for nodes('c1:a,b') by default."""
    errors = errors or {}
    cluster_reads = {'c1': {'error': errors['c1']} if 'c1' in errors else {'modules': modules or []}}
    node_reads = {}
    for host in ('a', 'b'):
        node_reads[host] = ({'error': errors[host], 'url': 'https://%s:9443' % host} if host in errors
                            else {'artifacts': (artifacts or {}).get(host, []), 'url': 'https://%s:9443' % host})
    return cluster_reads, node_reads


def test_read_problems_name_cluster_and_node():
    cluster_reads, node_reads = reads(errors={'c1': 'HTTP 401', 'b': 'cannot connect'})
    problems = plan.read_problems(plan.group_clusters(nodes('c1:a,b')), cluster_reads, node_reads)
    assert problems == ['cluster c1 (module objects, via a at https://a:9443): HTTP 401',
                        'node b (https://b:9443): cannot connect']
    assert plan.read_problems(plan.group_clusters(nodes('c1:a,b')), *reads()) == []


@pytest.mark.parametrize('modules, artifacts, prune, creates, uploads, work', [
    # nothing there: create the object, upload to both nodes
    ([], {}, False, ['hello/10000'], {'a': ['hello/10000'], 'b': ['hello/10000']}, True),
    # everything there: a no-op
    ([obj('hello', 10000)], {'a': [art('hello', 10000)], 'b': [art('hello', '10000.0')]}, False, [], {'a': [], 'b': []}, False),
    # one node lost its artifact
    ([obj('hello', 10000)], {'a': [art('hello', 10000)]}, False, [], {'a': [], 'b': ['hello/10000']}, True),
    # bundled modules are not module objects of ours
    ([obj('hello', 10000), obj('search', 1, is_bundled=True)], {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]},
     False, [], {'a': [], 'b': []}, False),
    # another version present: only prune makes it work
    ([obj('hello', 10000), obj('hello', 5)], {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]}, False, [],
     {'a': [], 'b': []}, False),
    ([obj('hello', 10000), obj('hello', 5)], {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]}, True, [],
     {'a': [], 'b': []}, True),
    # an artifact of another version without an object: prune removes it too
    ([obj('hello', 10000)], {'a': [art('hello', 10000), art('hello', 5)], 'b': [art('hello', 10000)]}, True, [],
     {'a': [], 'b': []}, True),
    # another module is never pruned
    ([obj('hello', 10000), obj('other', 5)], {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]}, True, [],
     {'a': [], 'b': []}, False),
])
def test_plan(modules, artifacts, prune, creates, uploads, work):
    run = plan.plan([entry(PKG1)], [], nodes('c1:a,b'), *reads(modules, artifacts), prune=prune)
    assert run['clusters'][0]['create'] == creates
    assert dict((h, n['uploads']) for h, n in run['nodes'].items()) == uploads
    assert run['work'] is work


def test_plan_absent_item_is_work_only_when_listed():
    absent = [items.absent_entry('hello', '10000.0')[0]]
    assert plan.plan([], absent, nodes('c1:a,b'), *reads([obj('hello', 10000)]), prune=False)['work'] is True
    assert plan.plan([], absent, nodes('c1:a,b'), *reads([], {'b': [art('hello', 10000)]}), prune=False)['work'] is True
    run = plan.plan([], absent, nodes('c1:a,b'), *reads([obj('hello', 20000)]), prune=False)
    assert run['work'] is False
    assert '  hello ? (10000): absent (no module object, no artifact)' in report.summary(run)


# -- checks --------------------------------------------------------------------------------------------

def test_compatibility_and_gate_problems():
    run = plan.plan([entry(PKG2)], [], nodes('c1:a,b'), *reads([], {'b': [art('hello', 20000)]}), prune=False)
    arm = dict(uid=1, addr='10.0.0.1', architecture='aarch64', os_family='rhel', os_semantic_version='9.3')
    ubuntu = dict(uid=1, addr='10.0.0.1', architecture='x86_64', os_family='ubuntu', os_semantic_version='22.04')
    rhel = dict(uid=1, addr='10.0.0.1', architecture='x86_64', os_family='rhel', os_semantic_version='9.3')
    problems = checks.compatibility_problems(run, 'a', arm)
    assert len(problems) == 1 and problems[0].startswith('a (hello 2.0.0 (20000)): ') and 'aarch64' in problems[0]
    assert 'rhel9' in ' '.join(checks.compatibility_problems(run, 'a', ubuntu))
    assert checks.compatibility_problems(run, 'a', rhel) == []
    assert checks.compatibility_problems(run, 'b', arm) == []  # b needs nothing
    assert checks.compatibility_problems(run, 'a', None) == []  # the node cannot be told: the module warns
    run['clusters'][0]['allow_modules_upload'] = False
    assert 'module_lifecycle_allow_uploads' in checks.gate_problems(run, False)[0]
    assert checks.gate_problems(run, 'temporary') == [] and checks.gate_problems(run, True) == []
    run['clusters'][0]['allow_modules_upload'] = True
    assert checks.gate_problems(run, False) == []


def test_record_checks():
    run = plan.plan([entry(PKG1)], [], nodes('c1:a,b'), *reads(), prune=False)
    failed = {'results': [{'failed': True, 'msg': 'uploads are disabled', 'error_code': 'modules_upload_disabled',
                           'item': {'label': 'hello 1.0.0 (10000)'}}]}
    run = writes.record_checks(run, [('a', {'results': [{'changed': True}]}), ('b', failed)])
    assert len(run['check_problems']) == 1
    assert run['check_problems'][0].startswith('b (hello 1.0.0 (10000)): uploads are disabled Uploads are disabled')


# -- writes --------------------------------------------------------------------------------------------

def upload_result(host_keys, changed=True, failed=False, gate=False):
    res = dict(changed=changed, item={'label': 'hello 1.0.0 (10000)'}, allow_modules_upload_changed=gate)
    if failed:
        res.update(failed=True, msg='connection broke')
    else:
        res['artifacts'] = [art(*key.split('/')) for key in host_keys]
    return {'results': [res]}


def test_a_full_deploy_is_recorded_and_verified():
    run = plan.plan([entry(PKG1)], [], nodes('c1:a,b'), *reads(), prune=False)
    creates = writes.creates(run)
    assert [(c['cluster'], c['pkg']['key']) for c in creates] == [('c1', 'hello/10000')]
    run = writes.record_creates(run, [dict(item=creates[0], changed=True, allow_modules_upload_changed=True)])
    assert run['clusters'][0]['keys'] == ['hello/10000'] and run['uploads_enabled'] == ['c1']
    assert [p['key'] for p in writes.host_uploads(run, 'a')] == ['hello/10000']
    run = writes.record_uploads(run, [('a', upload_result(['hello/10000'])), ('b', upload_result(['hello/10000']))])
    assert run['errors']['c1'] == []
    assert run['nodes']['a']['verified'] and run['nodes']['b']['verified']
    lines = report.summary(run, allow_uploads='temporary')
    assert lines == ['cluster c1 (2 node(s) in this run): ok',
                     '  hello 1.0.0 (10000): module object present, nodes ready 2/2',
                     '  module object created: hello 1.0.0 (10000)',
                     '  artifact uploaded: hello 1.0.0 (10000) (2 node(s))',
                     '  allow_modules_upload enabled, restored to false']
    assert report.restore_targets(run, ['b']) == [dict(cluster='c1', via='b', url='https://b:9443')]
    assert report.restore_targets(run, []) == [dict(cluster='c1', via='a', url='https://a:9443')]


def test_a_failed_upload_names_the_node_and_fails_the_cluster():
    run = plan.plan([entry(PKG1)], [], nodes('c1:a,b'), *reads([obj('hello', 10000)]), prune=False)
    run = writes.record_uploads(run, [('a', upload_result(['hello/10000'])), ('b', upload_result([], failed=True))])
    assert run['errors']['c1'] == ['artifact upload on b: connection broke',
                                   'verification: hello 1.0.0 (10000) is not listed on b (1/2 nodes ready)']
    assert report.cluster_errors(run, 'a') == run['errors']['c1']
    assert not run['nodes']['a']['verified']
    assert 'cluster c1 (2 node(s) in this run): FAILED' in report.summary(run)


def test_a_failed_module_object_stops_the_uploads_of_its_cluster_only():
    run = plan.plan([entry(PKG1)], [], nodes('c1:a', 'c2:b'), {'c1': {'modules': []}, 'c2': {'modules': []}},
                 {'a': {'artifacts': []}, 'b': {'artifacts': []}}, prune=False)
    creates = writes.creates(run)
    run = writes.record_creates(run, [dict(item=creates[0], failed=True, msg='HTTP 403'), dict(item=creates[1], changed=True)])
    assert run['errors'] == {'c1': ['module object: HTTP 403'], 'c2': []}
    assert writes.host_uploads(run, 'a') == [] and len(writes.host_uploads(run, 'b')) == 1


def test_check_mode_prediction_counts_as_listed():
    run = plan.plan([entry(PKG1)], [], nodes('c1:a'), *reads([obj('hello', 10000)]), prune=False)
    run = writes.record_uploads(run, [('a', upload_result(['hello/10000']))])
    assert run['errors']['c1'] == [] and '(check mode, would be) artifact uploaded' in ' '.join(report.summary(run, check_mode=True))


# -- removal -------------------------------------------------------------------------------------------

def test_absent_item_object_first_then_artifacts():
    absent = [items.absent_entry('hello', '1.0.0')[0]]
    listed = {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]}
    run = plan.plan([], absent, nodes('c1:a,b'), *reads([obj('hello', 10000, '1.0.0')], listed), prune=False)
    removals = removal.object_removals(run, False)
    assert [(r['key'], r['prune']) for r in removals] == [('hello/10000', False)]
    run = removal.record_object_removals(run, [dict(item=removals[0], changed=True)], False)
    assert [r['key'] for r in removal.host_removals(run, 'a')] == ['hello/10000']
    assert removal.host_removals(run, 'a')[0]['version'] == 10000
    done = {'results': [dict(changed=True, item={'key': 'hello/10000'}, artifacts=[])]}
    run = removal.record_artifact_removals(run, [('a', done), ('b', done)])
    assert run['errors']['c1'] == []
    assert run['changes']['c1'] == ['module object deleted: hello 1.0.0 (10000)', 'artifact deleted: hello/10000',
                                    'artifact deleted: hello/10000']


def test_absent_item_in_use_stops_its_cluster_and_keeps_artifacts():
    absent = [items.absent_entry('hello', 10000)[0]]
    run = plan.plan([], absent, nodes('c1:a,b'), *reads([obj('hello', 10000)], {'a': [art('hello', 10000)]}), prune=False)
    removals = removal.object_removals(run, False)
    run = removal.record_object_removals(run, [dict(item=removals[0], failed=True, msg='used by db1', databases=['db1'])], False)
    assert run['errors']['c1'] == ['removal of the module object: used by db1']
    assert removal.host_removals(run, 'a') == []


def test_artifact_still_listed_after_deletion_is_an_error():
    absent = [items.absent_entry('hello', 10000)[0]]
    run = plan.plan([], absent, nodes('c1:a,b'), *reads([], {'a': [art('hello', 10000)]}), prune=False)
    run = removal.record_object_removals(run, [], False)
    assert [r['key'] for r in removal.host_removals(run, 'a')] == ['hello/10000'] and removal.host_removals(run, 'b') == []
    run = removal.record_artifact_removals(run, [('a', {'results': [dict(changed=True, item={'key': 'hello/10000'},
                                                                   artifacts=[art('hello', 10000)])]})])
    assert run['errors']['c1'] == ['verification: still listed on a: hello/10000']


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


@pytest.mark.parametrize('change, pruned', [
    # the cluster read whole, every node lists 2.0.0
    (lambda run: run, ['hello/10000']),
    # not read whole (no cluster_check): never pruned
    (lambda run: Run(run, clusters=[dict(c, cluster_check=None) for c in run['clusters']]), []),
    # a node outside the batch (a later serial batch, another slice) lacks 2.0.0
    (lambda run: removal.record_cluster_nodes(run, [cluster_read(nodes_listed=[in_play(1, 'a'), in_play(2, 'b'),
                                                                         outside(3, 'c', [V1])])]), []),
    # the cluster failed in this batch
    (lambda run: Run(run, errors={'c1': ['artifact upload on b: failed']}), []),
])
def test_prune_waits_for_every_node_of_the_cluster(change, pruned):
    run = change(prune_setup())
    assert run['nodes']['a']['verified']
    removals = removal.object_removals(run, True)
    assert [r['key'] for r in removals] == pruned
    assert all(r['prune'] for r in removals)
    assert removal.object_removals(run, False) == []


def test_prune_keeps_a_version_in_use_with_its_artifacts():
    run = prune_setup()
    removals = removal.object_removals(run, True)
    run = removal.record_object_removals(run, [dict(item=removals[0], failed=False, changed=False, msg='in use',
                                              databases=['db1'])], True)
    assert run['errors']['c1'] == [] and run['changes']['c1'] == ['kept (in use): hello 1.0.0 (10000)']
    assert 'db1' in run['warnings'][0]
    assert removal.host_removals(run, 'a') == []
    run = prune_setup()
    run = removal.record_object_removals(run, [dict(item=removals[0], changed=True)], True)
    assert [r['key'] for r in removal.host_removals(run, 'b')] == ['hello/10000']


# -- prune across the whole cluster (job slices, --limit, concurrent runs) -------------------------------

@pytest.mark.parametrize('modules, listed, absent, keys', [
    # another version of a present module: prune's
    ([obj('hello', 10000), obj('hello', 20000)], {}, [], ['hello/10000']),
    # only on a node of the run, without an object
    ([obj('hello', 20000)], {'b': [art('hello', 10000)]}, [], ['hello/10000']),
    # an absent item is not prune's (removed whatever the other nodes hold)
    ([obj('hello', 10000), obj('hello', 20000)], {}, ['hello/10000'], []),
    # another module is never pruned; the present version neither
    ([obj('other', 1), obj('hello', 20000)], {'a': [art('other', 1)]}, [], []),
])
def test_prune_keys(modules, listed, absent, keys):
    gone = [items.absent_entry(k.split('/')[0], int(k.split('/')[1]))[0] for k in absent]
    run = plan.plan([entry(PKG2)], gone, nodes('c1:a,b'), *reads(modules, listed), prune=True)
    assert removal.prune_keys(run, run['clusters'][0]) == keys


READ_C1 = dict(cluster='c1', url='https://a:9443', leader='a', skip=['https://a:9443', 'https://b:9443'])


@pytest.mark.parametrize('prune, upgrades, change, host, expected', [
    # nothing to upgrade, no prune: no read
    (False, [], None, None, []),
    # prune with something to remove
    (True, [], None, None, [dict(READ_C1, upgrade=False, prune=True)]),
    (True, [], None, 'a', [dict(READ_C1, upgrade=False, prune=True)]),
    (True, [], None, 'b', []),
    # a database upgrade due, without prune: read too
    (False, [dict(uid=1, name='orders')], None, None, [dict(READ_C1, upgrade=True, prune=False)]),
    (True, [dict(uid=1, name='orders')], None, None, [dict(READ_C1, upgrade=True, prune=True)]),
    # the upgrades ran already (a re-read would be for prune only)
    (False, [dict(uid=1, name='orders')], lambda c: c.update(upgraded=[dict(name='orders')]), None, []),
    # the cluster is not complete in this batch: its module object for 2.0.0 is missing
    (True, [dict(uid=1, name='orders')], lambda c: c.update(keys=['hello/10000']), None, []),
])
def test_cluster_reads(prune, upgrades, change, host, expected):
    run = prune_setup(whole=False)
    run['clusters'][0]['upgrades'] = upgrades
    if change:
        change(run['clusters'][0])
    assert removal.cluster_reads(run, prune, host) == expected


def test_cluster_reads_nothing_when_prune_has_nothing_to_remove_or_the_cluster_failed():
    run = plan.plan([entry(PKG2)], [], nodes('c1:a,b'), *reads([obj('hello', 20000)], {}), prune=True)
    assert removal.cluster_reads(run, True) == []
    run = prune_setup(whole=False)
    run['errors']['c1'].append('artifact upload on b: failed')
    run['clusters'][0]['upgrades'] = [dict(uid=1, name='orders')]
    assert removal.cluster_reads(run, True) == []
    run = prune_setup(whole=False)
    run['nodes']['b']['verified'] = False
    assert removal.cluster_reads(run, True) == []


V1, V2 = art('hello', 10000), art('hello', 20000)


@pytest.mark.parametrize('listed, ok, problems, outside', [
    # every node in the play
    ([in_play(1, 'a'), in_play(2, 'b')], True, [], []),
    # a node outside the play with the present version (and the old one): prune may go, and removes it there too
    ([in_play(1, 'a'), in_play(2, 'b'), outside(3, '10.0.0.3', [V1, V2])], True, [], [('node 3 (10.0.0.3)', ['hello/10000', 'hello/20000'])]),
    # a node outside the play without it
    ([in_play(1, 'a'), outside(3, '10.0.0.3', [V1])], False, ['node 3 (10.0.0.3), not in this run (or batch) lacks hello 2.0.0 (20000)'], []),
    # unreadable
    ([in_play(1, 'a'), outside(3, '10.0.0.3', error='cannot connect: refused')], False,
     ['node 3 (10.0.0.3), not in this run (or batch) could not be read: cannot connect: refused'], []),
    ([], False, ['GET /v1/nodes listed no node'], []),
])
def test_cluster_nodes_check(listed, ok, problems, outside):
    run = prune_setup(whole=False)
    check = removal.cluster_nodes_check(run, listed)
    assert check['ok'] is ok and check['problems'] == problems
    assert [(n['label'], n['keys']) for n in check['outside']] == outside


@pytest.mark.parametrize('result, pruned, skipped', [
    (cluster_read(nodes_listed=[in_play(1, 'a'), in_play(2, 'b'), outside(3, '10.0.0.3', [V1, V2])]), ['hello/10000'], None),
    (cluster_read(nodes_listed=[in_play(1, 'a'), in_play(2, 'b'), outside(3, '10.0.0.3', [V1])]), [],
     'node 3 (10.0.0.3), not in this run (or batch) lacks hello 2.0.0 (20000)'),
    (cluster_read(failed=True, msg='HTTP 503 node_unavailable'), [],
     'the nodes of the cluster could not be read through a: HTTP 503 node_unavailable'),
])
def test_prune_goes_ahead_only_when_every_node_of_the_cluster_has_the_present_versions(result, pruned, skipped):
    run = prune_setup(whole=False)
    # not read whole: never pruned
    assert removal.object_removals(run, True) == []
    run = removal.record_cluster_nodes(run, [result])
    assert removal.cluster_ready(run['clusters'][0]) is (skipped is None)
    assert [r['key'] for r in removal.object_removals(run, True)] == pruned
    run = removal.record_object_removals(run, [dict(item=r, changed=True) for r in removal.object_removals(run, True)], True)
    if skipped:
        assert len(run['warnings']) == 1 and skipped in run['warnings'][0] and 'prune skipped on cluster c1' in run['warnings'][0]
        assert removal.host_removals(run, 'a') == [] and removal.outside_removals(run) == []
        assert '  prune skipped: %s' % skipped in report.summary(run)
        assert run['errors']['c1'] == []
    else:
        assert run['warnings'] == []
        assert [r['key'] for r in removal.host_removals(run, 'a')] == ['hello/10000']
        assert removal.outside_removals(run) == [dict(cluster='c1', leader='a', node='node 3 (10.0.0.3)', url='https://10.0.0.3:9443',
                                                module_name='hello', version=10000, key='hello/10000')]


def test_outside_artifacts_are_kept_while_their_module_object_stays():
    """A pruned version a database uses keeps its object, so its artifacts stay on every node, outside ones too."""
    run = prune_setup(whole=False)
    run = removal.record_cluster_nodes(run, [cluster_read(nodes_listed=[in_play(1, 'a'), outside(3, '10.0.0.3', [V1, V2])])])
    todo = removal.object_removals(run, True)[0]
    run = removal.record_object_removals(run, [dict(item=todo, failed=True, msg='in use', databases=['db1'])], True)
    assert removal.outside_removals(run) == [] and removal.host_removals(run, 'b') == []


@pytest.mark.parametrize('result, change, error', [
    (dict(changed=True, artifacts=[V2]), 'artifact deleted: hello/10000', None),
    # deleted meanwhile by another run (a concurrent slice): no change, no error
    (dict(changed=False, artifacts=[V2]), None, None),
    (dict(failed=True, msg='HTTP 503'), None, 'artifact removal on node 3 (10.0.0.3), not in this run (or batch): HTTP 503'),
    (dict(changed=True, artifacts=[V1, V2]), 'artifact deleted: hello/10000', 'verification: still listed on node 3 (10.0.0.3): hello/10000'),
])
def test_record_outside_removals(result, change, error):
    run = prune_setup()
    item = dict(cluster='c1', leader='a', node='node 3 (10.0.0.3)', url='https://10.0.0.3:9443', module_name='hello',
                version=10000, key='hello/10000')
    run = removal.record_outside_removals(run, [dict(result, item=item), dict(skipped=True, item=item)])
    assert run['changes']['c1'] == ([change] if change else [])
    assert run['errors']['c1'] == ([error] if error else [])


def test_serial_the_nodes_of_earlier_batches_are_read_and_pruned_like_those_outside_the_play():
    """Batch 1 holds a, batch 2 holds b, both of c1: each batch reads the other node at its address. Batch 1 prunes
    only if b already lists 2.0.0; otherwise batch 2, which completes the cluster, prunes both nodes."""
    modules = [obj('hello', 10000, '1.0.0'), obj('hello', 20000, '2.0.0')]
    batch1 = plan.plan([entry(PKG2)], [], nodes('c1:a'), {'c1': {'modules': modules}},
                    {'a': {'artifacts': [V1, V2]}}, prune=True)
    batch2 = plan.plan([entry(PKG2)], [], nodes('c1:b'), {'c1': {'modules': modules}},
                    {'b': {'artifacts': [V1, V2]}}, prune=True)
    assert removal.cluster_reads(batch1, True) == [dict(cluster='c1', url='https://a:9443', leader='a', skip=['https://a:9443'],
                                                  upgrade=False, prune=True)]
    # batch 1, b lacks 2.0.0 still: prune skipped
    run1 = removal.record_cluster_nodes(batch1, [cluster_read(nodes_listed=[in_play(1, 'a'), outside(2, 'b', [V1])])])
    assert removal.object_removals(run1, True) == []
    # batch 2: a is complete: prune both
    assert removal.cluster_reads(batch2, True) == [dict(cluster='c1', url='https://b:9443', leader='b', skip=['https://b:9443'],
                                                  upgrade=False, prune=True)]
    run = removal.record_cluster_nodes(batch2, [cluster_read(leader='b', nodes_listed=[outside(1, 'a', [V1, V2]), in_play(2, 'b')])])
    todo = removal.object_removals(run, True)
    run = removal.record_object_removals(run, [dict(item=todo[0], changed=True)], True)
    assert [r['key'] for r in removal.host_removals(run, 'b')] == ['hello/10000']
    assert [(r['url'], r['key']) for r in removal.outside_removals(run)] == [('https://a:9443', 'hello/10000')]


@pytest.mark.parametrize('prune_wanted, upgrades, line', [
    (True, [], '  prune skipped: node 3 (c), not in this run (or batch) lacks hello 2.0.0 (20000)'),
    (False, [dict(uid=1, name='orders')], '  database upgrades skipped: node 3 (c), not in this run (or batch) lacks hello 2.0.0 (20000)'),
    (True, [dict(uid=1, name='orders')],
     '  database upgrades and prune skipped: node 3 (c), not in this run (or batch) lacks hello 2.0.0 (20000)'),
])
def test_summary_says_what_an_incomplete_cluster_skipped(prune_wanted, upgrades, line):
    run = prune_setup(whole=False)
    run['clusters'][0]['upgrades'] = upgrades
    result = cluster_read(nodes_listed=[in_play(1, 'a'), in_play(2, 'b'), outside(3, 'c', [V1])])
    result['item']['prune'] = prune_wanted
    run = removal.record_cluster_nodes(run, [result])
    assert line in report.summary(run)
    assert bool(removal.prune_skipped(run)) is prune_wanted


# -- drift ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('modules, artifacts, errors, in_sync, line', [
    ([obj('hello', 10000, '1.0.0')], {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]}, {}, True, 'cluster c1: in sync'),
    ([obj('hello', 10000, '1.0.0')], {'a': [art('hello', 10000)]}, {}, False,
     'DRIFT module object hello 1.0.0 (10000) has no artifact on b'),
    ([], {'a': [art('hello', 10000)]}, {}, False, 'DRIFT artifact hello/10000 on a has no module object'),
    ([], {}, {'b': 'cannot connect'}, False, 'UNREADABLE b: cannot connect'),
    ([], {}, {'c1': 'HTTP 401'}, False, 'cannot read the module objects: HTTP 401'),
])
def test_drift(modules, artifacts, errors, in_sync, line):
    status = report.drift(nodes('c1:a,b'), *reads(modules, artifacts, errors))
    assert status[0]['in_sync'] is in_sync
    assert any(line in text for text in report.drift_lines(status)), report.drift_lines(status)


def redis(*versions):
    return [dict(db_type='redis', redis_version=v) for v in versions]


@pytest.mark.parametrize('fields, node_versions, all_versions, how, problem', [
    ({'compatible_redis_version': '7.4'}, ['7.4', '8.2'], None, 'address', None),
    ({'compatible_redis_version': '8.4'}, ['7.4', '8.2'], None, 'address', 'fits none of the Redis database versions'),
    ({'min_redis_version': '7.0'}, ['7.2'], None, 'address', None),
    ({'min_redis_version': '6.0'}, ['7.2', '8.2'], None, 'address', 'fits none'),
    ({}, ['7.2'], None, 'address', None),              # neither field: cannot be judged, not refused
    ({'compatible_redis_version': '8.2'}, [], None, 'address', None),  # versions not listed: not refused
    # an unidentified node: any node's versions count
    ({'compatible_redis_version': '8.2'}, ['7.4'], ['7.4', '8.2'], 'uniform', None),
    ({'compatible_redis_version': '8.4'}, ['7.4'], ['7.4', '8.2'], 'uniform', 'the cluster of a'),
])
def test_redis_version_check(fields, node_versions, all_versions, how, problem):
    pkg = dict(PKG1, metadata=fields)
    run = plan.plan([items.package_entry(Package(**pkg), 'present')], [], nodes('c1:a,b'), *reads(), prune=False)
    node = dict(uid=1, addr='10.0.0.1', architecture='x86_64', supported_database_versions=redis(*node_versions))
    others = [node, dict(node, uid=2, supported_database_versions=redis(*(all_versions or [])))]
    problems = checks.compatibility_problems(run, 'a', node, others, how)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0] and problems[0].startswith('a (hello 1.0.0 (10000)): ')


# -- module_upload_max_size_mb (a captured 8.0 cluster reports 40) -----------------------------------------

def test_upload_limit_warnings_name_each_package_this_run_uploads_to_the_cluster():
    big = dict(PKG2, size=45 * 1048576)
    small = dict(PKG1, size=1048576)
    reads = dict((n['host'], {'artifacts': [art('hello', 10000)] if n['host'] == 'h3' else [], 'url': n['url']})
                 for n in nodes('c1:h1,h2', 'c2:h3'))
    run = plan.plan([entry(big), entry(small)], [], nodes('c1:h1,h2', 'c2:h3'), {'c1': {'modules': []}, 'c2': {'modules': []}},
                 reads, False)
    c1, c2 = run['clusters']
    warned = checks.upload_limit_warnings(run, c1, 40)
    assert len(warned) == 1 and warned[0].startswith('package hello 2.0.0 (20000) (hello-2.0.0.zip) is 45.0 MB')
    assert 'of cluster c1' in warned[0]
    assert checks.upload_limit_warnings(run, c1, None) == [] and checks.upload_limit_warnings(run, c1, 50) == []
    # c2's node has 1.0.0 already: only 2.0.0 is uploaded there, so even a limit both exceed warns of 2.0.0 alone
    assert len(checks.upload_limit_warnings(run, c1, 0.5)) == 2
    c2_warned = checks.upload_limit_warnings(run, c2, 0.5)
    assert len(c2_warned) == 1 and '2.0.0' in c2_warned[0]
