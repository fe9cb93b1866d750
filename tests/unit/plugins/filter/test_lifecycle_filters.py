# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle_* filters: their documentation loads, they check their input and hand it to _lifecycle."""

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.filter import (
    lifecycle_clusters,
    lifecycle_idle,
    lifecycle_nodes,
    lifecycle_record,
    lifecycle_summary,
    lifecycle_todo,
)
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items, plan, steps

FILTERS = [lifecycle_clusters, lifecycle_idle, lifecycle_nodes, lifecycle_record, lifecycle_summary, lifecycle_todo]
NODES = [dict(host='a', cluster='c1', url='https://a:9443'), dict(host='b', cluster='c1', url='https://b:9443')]
PKG = dict(path='/p/hello-1.0.0.zip', module_name='hello', version=10000, semantic_version='1.0.0')


def fresh_run():
    return plan.plan([items.package_entry(Package(**PKG), 'present')], [], NODES, {'c1': {'modules': []}},
                     {'a': {'artifacts': []}, 'b': {'artifacts': []}}, prune=False)


@pytest.mark.parametrize('plugin', FILTERS)
def test_documentation(plugin):
    name = plugin.__name__.rsplit('.', 1)[-1]
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc['name'] == name and doc['short_description'] and doc['options']['_input']
    assert yaml.safe_load(plugin.RETURN)['_value']['description']
    assert 'redisops.custom_modules.%s' % name in plugin.EXAMPLES
    assert list(plugin.FilterModule().filters()) == [name]


@pytest.mark.parametrize('plugin', [lifecycle_todo, lifecycle_idle])
def test_documented_steps_are_the_steps(plugin):
    """lifecycle_todo and lifecycle_idle each list the steps in their documentation: the list is the engine's."""
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc['options']['what']['choices'] == list(steps.STEPS)


@pytest.mark.parametrize('hosts, here, message', [
    ('a', dict(host='a'), 'expects a list of host names'),
    (['a'], 'a', 'here must be a dictionary'),
    (['x'], dict(host='x'), 'no variables for host'),
])
def test_nodes_refuses_bad_input(hosts, here, message):
    with pytest.raises(AnsibleFilterError, match=message):
        lifecycle_nodes.lifecycle_nodes(hosts, {'a': {}}, here)


def test_nodes_reads_the_inventory():
    got = lifecycle_nodes.lifecycle_nodes(['a', 'b'], {'a': {'ansible_host': '10.0.0.1'}, 'b': {'module_lifecycle_cluster': 'c2'}},
                                          dict(host='a', cluster='', url='https://10.0.0.1:9443'))
    assert got == dict(nodes=[dict(host='a', cluster='default', url='https://10.0.0.1:9443'),
                              dict(host='b', cluster='c2', url='https://b:9443')], uniform=True)


@pytest.mark.parametrize('value, message', [
    ('c1', 'expects a list of dictionaries'),
    ([1], 'expects a list of dictionaries'),
    ([dict(host='a', cluster='c1')], 'node 0 has no host or no url'),
])
def test_clusters_refuses_bad_input(value, message):
    with pytest.raises(AnsibleFilterError, match=message):
        lifecycle_clusters.lifecycle_clusters(value)


def test_clusters():
    assert lifecycle_clusters.lifecycle_clusters(NODES) == [dict(name='c1', leader='a', url='https://a:9443', hosts=['a', 'b'])]


@pytest.mark.parametrize('call, message', [
    (lambda: lifecycle_record.lifecycle_record({}, 'uploads', []), 'expects the plan'),
    (lambda: lifecycle_record.lifecycle_record(fresh_run(), 'nap', []), 'step must be one of'),
    (lambda: lifecycle_record.lifecycle_record(fresh_run(), 'uploads', [{}]), 'hosts must give the host of each result'),
    (lambda: lifecycle_todo.lifecycle_todo(None, 'creates'), 'expects the plan'),
    (lambda: lifecycle_todo.lifecycle_todo(fresh_run(), 'everything'), 'what must be'),
    (lambda: lifecycle_summary.lifecycle_summary([], False), 'expects the plan'),
])
def test_bad_calls(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()


def test_a_run_through_the_filters():
    run = fresh_run()
    creates = lifecycle_todo.lifecycle_todo(run, 'creates')
    run = lifecycle_record.lifecycle_record(run, 'creates', [dict(item=creates[0], changed=True)])
    uploads = lifecycle_todo.lifecycle_todo(run, 'uploads', host='a')
    assert [p['key'] for p in uploads] == ['hello/10000']
    listed = dict(results=[dict(changed=True, item=uploads[0], artifacts=[dict(module_name='hello', version=10000)])])
    # a host whose task was skipped has no results (the role passes {} for it)
    run = lifecycle_record.lifecycle_record(run, 'uploads', [listed, None], hosts=['a', 'b'])
    assert lifecycle_todo.lifecycle_todo(run, 'errors', host='b') == [
        'verification: hello 1.0.0 (10000) is not listed on b (1/2 nodes ready)']
    lines = lifecycle_summary.lifecycle_summary(run, True, 'temporary')
    assert lines[0] == 'cluster c1 (2 node(s) in this run, check mode): FAILED'
    assert '  (check mode, would be) artifact uploaded: hello 1.0.0 (10000) (1 node(s))' in lines
    assert lifecycle_todo.lifecycle_todo(run, 'cluster_reads', prune=True) == []  # not complete: no read
    removals = lifecycle_todo.lifecycle_todo(run, 'object_removals', prune=True)
    assert removals == []  # a cluster with an error is left alone
    run = lifecycle_record.lifecycle_record(run, 'objects_removed', [], prune=True)
    assert lifecycle_todo.lifecycle_todo(run, 'artifact_removals', host='a') == []
    run = lifecycle_record.lifecycle_record(run, 'artifacts_removed', [{}, {}], hosts=['a', 'b'])
    assert lifecycle_todo.lifecycle_todo(run, 'restore', hosts=['a']) == []
    run = lifecycle_record.lifecycle_record(run, 'checks', [{}, {}], hosts=['a', 'b'])
    assert run['check_problems'] == []


def test_creates_by_the_leader_of_each_cluster():
    nodes = NODES + [dict(host='c', cluster='c2', url='https://c:9443')]
    run = plan.plan([items.package_entry(Package(**PKG), 'present')], [], nodes, {'c1': {'modules': []}, 'c2': {'modules': []}},
                    {'a': {'artifacts': []}, 'b': {'artifacts': []}, 'c': {'artifacts': []}}, prune=False)
    assert [c['cluster'] for c in lifecycle_todo.lifecycle_todo(run, 'creates', host='a')] == ['c1']
    assert lifecycle_todo.lifecycle_todo(run, 'creates', host='b') == []
    mine = lifecycle_todo.lifecycle_todo(run, 'creates', host='c')
    run = lifecycle_record.lifecycle_record(run, 'creates', [{'results': [dict(item=mine[0], changed=True)]}, {}],
                                            hosts=['c', 'b'])
    assert run['changes'] == {'c1': [], 'c2': ['module object created: hello 1.0.0 (10000)']}


def test_object_removals_by_the_leader_of_each_cluster():
    nodes = NODES + [dict(host='c', cluster='c2', url='https://c:9443')]
    absent = [items.absent_entry('hello', '1.0.0')[0]]
    obj = {'modules': [dict(module_name='hello', version=10000, semantic_version='1.0.0')]}
    run = plan.plan([], absent, nodes, {'c1': obj, 'c2': obj},
                    {'a': {'artifacts': []}, 'b': {'artifacts': []}, 'c': {'artifacts': []}}, prune=False)
    mine = lifecycle_todo.lifecycle_todo(run, 'object_removals', host='c')
    assert [(r['cluster'], r['key']) for r in mine] == [('c2', 'hello/10000')]
    assert lifecycle_todo.lifecycle_todo(run, 'object_removals', host='b') == []
    assert len(lifecycle_todo.lifecycle_todo(run, 'object_removals')) == 2
    run = lifecycle_record.lifecycle_record(run, 'objects_removed', [{'results': [dict(item=mine[0], changed=True)]}],
                                            hosts=['c'])
    assert run['changes'] == {'c1': [], 'c2': ['module object deleted: hello 1.0.0 (10000)']}


def test_prune_of_a_slice_through_the_filters():
    """A play holding nodes a and b of a cluster that has a third node (a job slice): read it, then prune everywhere."""
    old = dict(module_name='hello', version=5000)
    new = dict(module_name='hello', version=10000)
    run = plan.plan([items.package_entry(Package(**PKG), 'present')], [], NODES,
                    {'c1': {'modules': [dict(old, uid='1'), dict(new, uid='2')]}},
                    {'a': {'artifacts': [old, new]}, 'b': {'artifacts': [old, new]}}, prune=True)
    assert lifecycle_todo.lifecycle_todo(run, 'cluster_reads', prune=False) == []
    reads = lifecycle_todo.lifecycle_todo(run, 'cluster_reads', prune=True, host='a')
    assert reads == [dict(cluster='c1', url='https://a:9443', leader='a', skip=['https://a:9443', 'https://b:9443'],
                          upgrade=False, prune=True)]
    third = dict(uid=3, addr='10.0.0.3', url='https://10.0.0.3:9443', skipped=False, artifacts=[old, new], error=None)
    run = lifecycle_record.lifecycle_record(run, 'cluster_nodes', [dict(item=reads[0], nodes=[third])])
    removals = lifecycle_todo.lifecycle_todo(run, 'object_removals', prune=True)
    assert [r['key'] for r in removals] == ['hello/5000']
    run = lifecycle_record.lifecycle_record(run, 'objects_removed', [dict(item=removals[0], changed=True)], prune=True)
    outside = lifecycle_todo.lifecycle_todo(run, 'outside_removals')
    assert [(r['url'], r['key']) for r in outside] == [('https://10.0.0.3:9443', 'hello/5000')]
    run = lifecycle_record.lifecycle_record(run, 'outside_removed', [dict(item=outside[0], changed=True, artifacts=[new])])
    assert run['changes']['c1'] == ['module object deleted: hello ? (5000)', 'artifact deleted: hello/5000']
    assert run['errors']['c1'] == []
