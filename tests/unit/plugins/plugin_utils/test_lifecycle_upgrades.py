# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database-upgrade decisions of the module_lifecycle role (module_lifecycle_upgrade_databases), as tables."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items, plan, removal, report, upgrades, writes

PKG2 = dict(path='/p/hello-2.0.0.zip', module_name='hello', version=20000, semantic_version='2.0.0',
            architecture='x86_64', operating_systems=None, metadata={'compatible_redis_version': '8.2'})
ARROW = u'\u2192'


def mod(name, version, bundled=False, compatible='8.2'):
    semver = '%d.%d.%d' % (version // 10000, version % 10000 // 100, version % 100)
    return dict(uid='%s-%d' % (name, version), module_name=name, version=version, semantic_version=semver,
                compatible_redis_version=compatible, is_bundled=bundled)


def bdb(uid, name, *uses):
    return dict(uid=uid, name=name, redis_version='8.2', version='8.2.1',
                module_list=[dict(module_id='%s-%d' % (n, v), module_name=n,
                                  semantic_version='%d.%d.%d' % (v // 10000, v % 10000 // 100, v % 100)) for n, v in uses])


def plan_run(clusters, modules, artifacts, prune=True):
    """A run of the batch: ``clusters`` {name: [hosts]}, the same module objects and node artifacts on every cluster."""
    nodes = [dict(host=h, cluster=c, url='https://%s:9443' % h) for c, hosts in clusters.items() for h in hosts]
    cluster_reads = dict((c, {'modules': modules}) for c in clusters)
    node_reads = dict((n['host'], {'artifacts': [dict(module_name=m, version=v) for m, v in artifacts], 'url': n['url']})
                      for n in nodes)
    return plan.plan([items.package_entry(Package(**PKG2), 'present')], [], nodes, cluster_reads, node_reads, prune=prune)


def deployed(run):
    """The run after its module objects were created and its uploads done (every node verified)."""
    run = writes.record_creates(run, [dict(item=item, changed=True) for item in writes.creates(run)])
    registered = []
    for host, node in run['nodes'].items():
        listing = [dict(module_name=k.rsplit('/', 1)[0], version=int(k.rsplit('/', 1)[1])) for k in node['keys'] + node['uploads']]
        registered.append((host, {'results': [dict(item=pkg, changed=True, artifacts=listing) for pkg in writes.host_uploads(run, host)]}))
    return writes.record_uploads(run, registered)


V1 = [mod('hello', 10000), mod('search', 80000, bundled=True)]
V1V2 = V1 + [mod('hello', 20000)]


@pytest.mark.parametrize('value, wanted, problem', [
    (False, False, None), (None, False, None), (True, True, None), ('yes', True, None), ('False', False, None),
    ('', False, None), ([], False, None), (['orders', ' billing', 'orders'], ['orders', 'billing'], None),
    ('orders', False, 'must be false, true'), ([1], False, 'must be false, true'), (['ok', ''], False, 'list of database names'),
    ({'a': 1}, False, 'got'),
])
def test_upgrade_setting(value, wanted, problem):
    got, got_problem = items.upgrade_setting(value)
    assert got == wanted
    assert (got_problem is None) if problem is None else (problem in got_problem)


@pytest.mark.parametrize('modules, artifacts, wanted, reads', [
    # off: nothing is read
    (V1V2, [('hello', 10000), ('hello', 20000)], False, []),
    # one version of hello once 2.0.0 exists: no database can use an older one
    ([mod('hello', 20000)], [('hello', 20000)], True, []),
    # 1.0.0 there and 2.0.0 created by this run: read
    (V1, [('hello', 10000)], True, ['c1', 'c2']),
    (V1V2, [('hello', 10000), ('hello', 20000)], True, ['c1', 'c2']),
    # a list of names: every cluster (each name must be found)
    ([mod('hello', 20000)], [('hello', 20000)], ['orders'], ['c1', 'c2']),
])
def test_upgrade_reads_only_as_needed(modules, artifacts, wanted, reads):
    run = plan_run({'c1': ['a', 'b'], 'c2': ['c']}, modules, artifacts)
    assert upgrades.upgrade_reads(run, wanted) == reads


def db_reads(run, bdbs, modules=None):
    return dict((c['name'], {'bdbs': bdbs.get(c['name'], []), 'modules': V1 if modules is None else modules})
                for c in run['clusters'])


@pytest.mark.parametrize('wanted, bdbs, due, problem', [
    # every database that uses an older hello, by uid; a database already on 2.0.0 or without hello is left alone
    (True, {'c1': [bdb(2, 'billing', ('hello', 10000)), bdb(1, 'orders', ('hello', 10000), ('search', 80000)),
                   bdb(3, 'other', ('search', 80000))], 'c2': [bdb(1, 'ledger', ('hello', 10000))]},
     {'c1': ['orders', 'billing'], 'c2': ['ledger']}, None),
    # a list: only those, on each cluster that has them
    (['billing', 'ledger'], {'c1': [bdb(1, 'orders', ('hello', 10000)), bdb(2, 'billing', ('hello', 10000))],
                             'c2': [bdb(1, 'ledger', ('hello', 10000))]}, {'c1': ['billing'], 'c2': ['ledger']}, None),
    # a name on no cluster stops the run
    (['orders', 'nope'], {'c1': [bdb(1, 'orders', ('hello', 10000))]}, {'c1': ['orders'], 'c2': []},
     "no database named 'nope' on cluster(s) c1, c2 (their databases: orders)"),
    # a database no version can be used for (hello 3.0.0 for Redis 7.4 only) is named
    (True, {'c1': [dict(bdb(1, 'old', ('hello', 10000)), redis_version='7.4')]}, {'c1': [], 'c2': []},
     "cluster c1: database 'old' (Redis 7.4) uses hello 1.0.0, and no version of hello can be used for it"),
])
def test_plan_upgrades(wanted, bdbs, due, problem):
    run = plan_run({'c1': ['a', 'b'], 'c2': ['c']}, V1, [('hello', 10000)])
    assert run['work']
    planned, problems = upgrades.plan_upgrades(run, wanted, db_reads(run, bdbs))
    assert dict((c['name'], [db['name'] for db in c['upgrades']]) for c in planned['clusters']) == due
    if problem is None:
        assert problems == []
        first = planned['clusters'][0]['upgrades'][0]
        assert first['upgrades'] == [{'module_name': 'hello', 'from': '1.0.0', 'to': '2.0.0', 'from_version': 10000,
                                      'to_version': 20000}]
    else:
        assert any(problem in p for p in problems), problems
    assert planned is run                     # the read pass's Run, planned in place (no copy)


def test_plan_upgrades_uses_the_cluster_as_this_run_leaves_it():
    run = plan_run({'c1': ['a', 'b']}, V1, [('hello', 10000)])
    # 2.0.0 is created and uploaded by this run: it counts
    planned, problems = upgrades.plan_upgrades(run, True, db_reads(run, {'c1': [bdb(1, 'orders', ('hello', 10000))]}))
    assert problems == [] and planned['clusters'][0]['upgrades'][0]['name'] == 'orders'
    # a 3.0.0 module object whose artifact is on no node is not a target: 2.0.0 is
    planned, problems = upgrades.plan_upgrades(run, True, db_reads(run, {'c1': [bdb(1, 'orders', ('hello', 10000))]},
                                                                   V1 + [mod('hello', 30000)]))
    assert problems == [] and planned['clusters'][0]['upgrades'][0]['upgrades'][0]['to'] == '2.0.0'
    # a read that failed names the cluster
    planned, problems = upgrades.plan_upgrades(run, True, {'c1': {'error': 'HTTP 403'}})
    assert problems == ['cluster c1 (GET /v1/bdbs via a): HTTP 403']
    # nothing due: no work added
    nothing = plan_run({'c1': ['a', 'b']}, V1V2, [('hello', 10000), ('hello', 20000)], prune=False)
    assert not nothing['work']
    planned, problems = upgrades.plan_upgrades(nothing, True, db_reads(nothing, {'c1': [bdb(1, 'orders', ('hello', 20000))]}, V1V2))
    assert problems == [] and planned['work'] is False


def whole(run, outside=None):
    """The whole-cluster reads (cluster_reads) recorded: every node of the batch skipped, ``outside`` {cluster: [(addr,
    [keys])]} the other nodes of each cluster, at their address."""
    results = []
    for item in removal.cluster_reads(run, True):
        listed = [dict(uid=i, addr=h, url='https://%s:9443' % h, skipped=True, artifacts=None, error=None)
                  for i, h in enumerate(run.cluster(item['cluster'])['hosts'])]
        for addr, keys in (outside or {}).get(item['cluster'], []):
            listed.append(dict(uid=addr, addr=addr, url='https://%s:9443' % addr, skipped=False, error=None,
                               artifacts=[dict(module_name=k.split('/')[0], version=int(k.split('/')[1])) for k in keys]))
        results.append(dict(item=item, changed=False, nodes=listed))
    return removal.record_cluster_nodes(run, results)


def planned_two_clusters(outside=None):
    run = plan_run({'c1': ['a', 'b'], 'c2': ['c']}, V1, [('hello', 10000)])
    bdbs = {'c1': [bdb(1, 'orders', ('hello', 10000)), bdb(2, 'billing', ('hello', 10000))],
            'c2': [bdb(1, 'ledger', ('hello', 10000))]}
    planned, problems = upgrades.plan_upgrades(run, True, db_reads(run, bdbs))
    assert problems == []
    # before the uploads nothing may be upgraded, nor read whole
    assert upgrades.upgrade_rounds(planned) == [] and upgrades.upgrade_todo(planned, 'a', 0) == []
    assert removal.cluster_reads(planned, True) == []
    done = deployed(planned)
    assert all(node['verified'] for node in done['nodes'].values())
    # complete in this batch: read whole (for the upgrades), not yet ready
    assert [(r['cluster'], r['upgrade']) for r in removal.cluster_reads(done, False)] == [('c1', True), ('c2', True)]
    assert upgrades.upgrade_rounds(done) == []
    return whole(done, outside)


@pytest.mark.parametrize('host, index, expected', [
    ('a', 0, ['orders']), ('a', 1, ['billing']), ('a', 2, []),
    ('c', 0, ['ledger']), ('c', 1, []),
    ('b', 0, []),                                 # not its cluster's first host
])
def test_upgrade_todo_by_leader_and_round(host, index, expected):
    run = planned_two_clusters()
    assert upgrades.upgrade_rounds(run) == [0, 1]
    todo = upgrades.upgrade_todo(run, host, index)
    assert [t['name'] for t in todo] == expected
    for item in todo:
        assert item['node_urls'] == (['https://a:9443', 'https://b:9443'] if host == 'a' else ['https://c:9443'])
        assert item['url'] == 'https://%s:9443' % host and item['label'] == '%s: db %s' % (item['cluster'], item['name'])


@pytest.mark.parametrize('outside, rounds, waiting, c1_urls', [
    # every node of each cluster in the batch
    (None, [0, 1], [], ['https://a:9443', 'https://b:9443']),
    # a node of c1 outside the batch (another serial batch or job slice) lacks 2.0.0: c1 waits, c2 goes on
    ({'c1': [('z', ['hello/10000'])]}, [0], ['c1'], None),
    # it lists 2.0.0: c1 is complete; its URL (at its address) is one of the cluster's for the module's check
    ({'c1': [('z', ['hello/10000', 'hello/20000'])]}, [0, 1], [], ['https://a:9443', 'https://b:9443', 'https://z:9443']),
])
def test_upgrades_wait_for_the_whole_cluster(outside, rounds, waiting, c1_urls):
    run = planned_two_clusters(outside)
    assert upgrades.upgrade_rounds(run) == rounds
    lines = upgrades.upgrade_waiting(run)
    assert [line.split(':')[0] for line in lines] == ['cluster %s' % c for c in waiting]
    if waiting:
        assert 'node z (z), not in this run (or batch) lacks hello 2.0.0 (20000)' in lines[0]
        assert upgrades.upgrade_todo(run, 'a', 0) == []
        assert '  database upgrades and prune skipped: node z (z), not in this run (or batch) lacks hello 2.0.0 (20000)' \
            in report.summary(run)
    else:
        assert upgrades.upgrade_todo(run, 'a', 0)[0]['node_urls'] == c1_urls


def test_cluster_node_urls_needs_the_whole_cluster_read():
    run = planned_two_clusters()
    assert upgrades.cluster_node_urls(run, run['clusters'][0]) == ['https://a:9443', 'https://b:9443']
    run['clusters'][0]['cluster_check'] = None
    assert upgrades.cluster_node_urls(run, run['clusters'][0]) == []


def round_result(host, todo, **res):
    return (host, {'results': [dict(dict(item=item, changed=True, upgrades=item['upgrades']), **res) for item in todo]})


def test_a_recorded_failure_stops_the_cluster_and_its_removals():
    run = planned_two_clusters()
    first = [round_result('a', upgrades.upgrade_todo(run, 'a', 0), failed=True, changed=False,
                          msg="database 'orders': the upgrade of hello 1.0.0 -> 2.0.0 failed (action x): injected fault"),
             round_result('c', upgrades.upgrade_todo(run, 'c', 0)), ('b', {'results': [], 'skipped': True})]
    after = upgrades.record_upgrades(run, first)
    assert after['errors']['c1'] == [
        "database upgrade of 'orders' failed: database 'orders': the upgrade of hello 1.0.0 -> 2.0.0 failed (action x): "
        "injected fault " + upgrades.UPGRADE_FAILED_HINT + " Not upgraded: billing."]
    assert [c for c in after['changes']['c2'] if c.startswith('db ')] == ['db ledger: hello 1.0.0 %s 2.0.0' % ARROW]
    # c1's second round has nothing to do; c1 is left out of removals; c2 is pruned
    assert upgrades.upgrade_todo(after, 'a', 1) == []
    # (the rounds are counted once, before the first: c1 no longer counts, c2's plan does)
    assert upgrades.upgrade_rounds(after) == [0]
    assert upgrades.upgrade_waiting(after) == []
    # the clusters were read whole before the upgrades; c1 failed since, so it is not pruned
    assert [r['cluster'] for r in removal.object_removals(after, True)] == ['c2']
    assert report.cluster_errors(after, 'b') == after['errors']['c1'] and report.cluster_errors(after, 'c') == []
    lines = report.summary(after)
    assert 'cluster c1 (2 node(s) in this run): FAILED' in lines and '  db ledger: hello 1.0.0 %s 2.0.0' % ARROW in lines


@pytest.mark.parametrize('res, check_mode, change', [
    # applied: the module's own from -> to
    (dict(changed=True), False, 'db orders: hello 1.0.0 %s 2.0.0' % ARROW),
    # already there (another run did it): no change
    (dict(changed=False, upgrades=[]), False, None),
    # check mode before 2.0.0 exists: the module predicts nothing, the plan's prediction is reported
    (dict(changed=False, upgrades=[]), True, 'db orders: hello 1.0.0 %s 2.0.0' % ARROW),
    (dict(changed=True), True, 'db orders: hello 1.0.0 %s 2.0.0' % ARROW),
])
def test_record_upgrades_changes(res, check_mode, change):
    run = planned_two_clusters()
    after = upgrades.record_upgrades(run, [round_result('a', upgrades.upgrade_todo(run, 'a', 0), **res)], check_mode)
    assert [c for c in after['changes']['c1'] if c.startswith('db ')] == ([change] if change else [])
    assert after['errors']['c1'] == []
    if check_mode:
        assert '  (check mode, would be) ' + change in report.summary(after, check_mode=True)


def test_upgrade_line():
    assert upgrades.upgrade_line('orders', [dict(module_name='hello', **{'from': '1.0.0', 'to': '2.0.0'}),
                                            dict(module_name='world', **{'from': '1.0.0', 'to': '1.1.0'})]) == \
        'db orders: hello 1.0.0 %s 2.0.0, world 1.0.0 %s 1.1.0' % (ARROW, ARROW)
    assert upgrades.upgrade_line('orders', []) == 'db orders: up to date'


def test_a_removal_run_reads_and_upgrades_nothing():
    run = plan.plan([], [], [dict(host='a', cluster='c1', url='https://a:9443')], {'c1': {'modules': V1}},
                    {'a': {'artifacts': [], 'url': 'https://a:9443'}}, prune=False)
    assert upgrades.upgrade_reads(run, ['orders']) == [] and upgrades.upgrade_reads(run, True) == []
    planned, problems = upgrades.plan_upgrades(run, ['orders'], {})
    assert problems == [] and planned['clusters'][0]['upgrades'] == []


def test_plan_upgrades_warns_where_a_database_does_not_tell_its_module_version():
    """A server that leaves module_id and semantic_version out of module_list (both deprecated since 7.8.2): with two
    versions of hello in the cluster the version in use cannot be told, so nothing is planned for that database and the
    cluster says why; a database that still reports module_id is upgraded."""
    run = plan_run({'c1': ['a', 'b']}, V1, [('hello', 10000)])
    silent = dict(bdb(1, 'orders', ('hello', 10000)), module_list=[dict(module_name='hello', module_args='')])
    with_id = dict(bdb(2, 'billing', ('hello', 10000)), module_list=[dict(module_name='hello', module_id='hello-10000')])
    planned, problems = upgrades.plan_upgrades(run, True, db_reads(run, {'c1': [silent, with_id]}))
    cluster = planned['clusters'][0]
    assert problems == [] and [db['name'] for db in cluster['upgrades']] == ['billing']
    assert cluster['upgrades'][0]['upgrades'][0]['from'] == '1.0.0'
    assert len(cluster['upgrade_warnings']) == 1
    assert cluster['upgrade_warnings'][0].startswith("cluster c1: database 'orders' does not report which version of hello")
