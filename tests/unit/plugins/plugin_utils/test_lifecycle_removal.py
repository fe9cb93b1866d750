# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Removal and prune, across the whole cluster (plugin_utils._lifecycle.removal), as tables of cases."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import Run
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items, plan, removal, report
from tests.unit.plugins.plugin_utils.lifecycle_cases import PKG2, READ_C1, V1, V2, art, cluster_read, entry, in_play, nodes, obj, outside, prune_setup, reads


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
