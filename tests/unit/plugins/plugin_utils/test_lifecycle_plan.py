# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read pass: the batch in clusters, the run it plans (plugin_utils._lifecycle.plan), as tables of cases."""

import os

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items, plan, report
from tests.unit.plugins.plugin_utils.lifecycle_cases import PKG1, art, entry, nodes, obj, reads


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


class HostVars(dict):
    """hostvars as a filter sees them: host name -> that host's variables (a mapping)."""


@pytest.mark.parametrize('variables, here, nodes, uniform', [
    # the inventory sets cluster and url: they agree with what the role resolves on the first host
    ({'a': {'module_lifecycle_cluster': 'c1', 'module_lifecycle_node_url': 'https://10.0.0.1:9443'},
      'b': {'module_lifecycle_cluster': 'c1', 'module_lifecycle_node_url': 'https://10.0.0.2:9443'}},
     dict(host='a', cluster='c1', url='https://10.0.0.1:9443'),
     [('a', 'c1', 'https://10.0.0.1:9443'), ('b', 'c1', 'https://10.0.0.2:9443')], True),
    # the role's defaults: ansible_host (else the inventory name), cluster "default"
    ({'a': {'ansible_host': '10.0.0.1'}, 'b': {}}, dict(host='a', cluster='', url='https://10.0.0.1:9443'),
     [('a', 'default', 'https://10.0.0.1:9443'), ('b', 'default', 'https://b:9443')], True),
    # run_from node: the local url
    ({'a': {'module_lifecycle_run_from': 'node'},
      'b': {'module_lifecycle_run_from': 'node', 'module_lifecycle_local_url': 'https://127.0.0.1:9443'}},
     dict(host='a', cluster='default', url='https://localhost:9443'),
     [('a', 'default', 'https://localhost:9443'), ('b', 'default', 'https://127.0.0.1:9443')], True),
    # the play (or the role's parameters) set the cluster: hostvars do not hold it, the role asks every host
    ({'a': {}, 'b': {}}, dict(host='a', cluster='prod-eu', url='https://a:9443'),
     [('a', 'default', 'https://a:9443'), ('b', 'default', 'https://b:9443')], False),
    ({'a': {'ansible_host': '10.0.0.1'}}, dict(host='a', cluster='default', url='https://a.mgmt:9443'),
     [('a', 'default', 'https://10.0.0.1:9443')], False),
])
def test_inventory_nodes(variables, here, nodes, uniform):
    got = plan.inventory_nodes(list(variables), HostVars(variables), here)
    assert [(n['host'], n['cluster'], n['url']) for n in got['nodes']] == nodes
    assert got['uniform'] is uniform


def test_inventory_nodes_use_the_roles_defaults():
    """The defaults inventory_nodes assumes are those of the role's defaults/main.yml and vars/main.yml."""
    import yaml
    role = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'module_lifecycle')
    with open(os.path.join(role, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(role, 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    assert defaults['module_lifecycle_node_url'] == 'https://{{ ansible_host | default(inventory_hostname) }}:9443'
    assert plan.NODE_URL_DEFAULT == 'https://%s:9443'
    assert defaults['module_lifecycle_local_url'] == plan.LOCAL_URL_DEFAULT
    assert defaults['module_lifecycle_run_from'] == plan.RUN_FROM_DEFAULT
    assert role_vars['_module_lifecycle_default_cluster'] == plan.DEFAULT_CLUSTER
