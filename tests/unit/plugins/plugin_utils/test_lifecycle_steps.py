# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table of steps: names of the role's task files, the options each takes, one input shape, 0.1.0's aliases."""

import os
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.filter import lifecycle_record, lifecycle_todo
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items, plan
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import steps

TASKS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'module_lifecycle', 'tasks')
NODES = [dict(host='a', cluster='c1', url='https://a:9443'), dict(host='b', cluster='c1', url='https://b:9443')]
PKG = dict(path='/p/hello-1.0.0.zip', module_name='hello', version=10000, semantic_version='1.0.0')
OLD = dict(module_name='hello', version=5000)
NEW = dict(module_name='hello', version=10000)


def role_calls():
    """``{(filter, step): [task files]}`` for every lifecycle_todo/lifecycle_record call in the role's task files."""
    calls = {}
    for name in sorted(os.listdir(TASKS)):
        with open(os.path.join(TASKS, name)) as handle:
            for found in re.finditer(r"lifecycle_(todo|record)\('([a-z_]+)'", handle.read()):
                calls.setdefault((found.group(1), found.group(2)), []).append(name)
    return calls


def test_the_role_calls_every_step_by_its_name_from_its_task_file():
    calls = role_calls()
    assert calls, 'no call found: the test reads the wrong directory'
    for (kind, name), task_files in calls.items():
        assert name in steps.STEPS, '%s calls lifecycle_%s with %r, not a step' % (task_files, kind, name)
        step = steps.STEPS[name]
        assert step.task_file in task_files, name
        assert set(task_files) <= set((step.task_file,) + step.also_in), (name, task_files)
    for step in steps.STEPS.values():
        assert ('todo', step.name) in calls, step.name
        assert (('record', step.name) in calls) == step.records, step.name


@pytest.mark.parametrize('alias, table', [(alias, 'todo') for alias in steps.TODO_ALIASES]
                         + [(alias, 'record') for alias in steps.RECORD_ALIASES])
def test_aliases_lead_to_a_step_that_does_that(alias, table):
    target = (steps.TODO_ALIASES if table == 'todo' else steps.RECORD_ALIASES)[alias]
    assert target in steps.STEPS and alias not in steps.STEPS
    assert table == 'todo' or steps.STEPS[target].records


def planned(prune=False, modules=None, artifacts=None):
    return plan.plan([items.package_entry(Package(**PKG), 'present')], [], NODES, {'c1': {'modules': modules or []}},
                     dict((host, {'artifacts': list(artifacts or [])}) for host in 'ab'), prune=prune)


@pytest.mark.parametrize('call, message', [
    (lambda run: lifecycle_todo.lifecycle_todo(run, 'nodes', hots='a'), "step 'nodes' takes host, not hots"),
    (lambda run: lifecycle_todo.lifecycle_todo(run, 'nodes', host='a', prune=True), "step 'nodes' takes host, not prune"),
    (lambda run: lifecycle_todo.lifecycle_todo(run, 'upgrade', host='a'), "step 'upgrade' takes no option, not host"),
    (lambda run: lifecycle_record.lifecycle_record(run, 'nodes', [{}], hosts=['a'], prune=True),
     "step 'nodes' takes no option, not prune"),
    (lambda run: lifecycle_record.lifecycle_record(run, 'cluster', [{'results': []}]), 'hosts must give the host'),
    (lambda run: lifecycle_record.lifecycle_record(run, 'restore', [], hosts=[]), "step 'restore' has no results"),
    (lambda run: lifecycle_record.lifecycle_record(run, 'upgrade', [], hosts=[]), "step 'upgrade' has no results"),
    (lambda run: lifecycle_record.lifecycle_record(run, 'nap', [], hosts=[]), 'step must be one of check, cluster, '),
])
def test_what_a_step_does_not_take_is_refused(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call(planned())


def test_an_alias_is_deprecated_and_does_what_the_step_does(monkeypatch):
    said = []
    monkeypatch.setattr(lifecycle_todo.display, 'deprecated', lambda msg, **kw: said.append((msg, kw)))
    run = planned()
    assert lifecycle_todo.lifecycle_todo(run, 'creates', host='a') == lifecycle_todo.lifecycle_todo(run, 'cluster', host='a')
    assert len(said) == 1
    assert "'creates' is the name of release 0.1.0 for the step 'cluster'; use 'cluster'" in said[0][0]
    assert said[0][1] == dict(version='0.3.0', collection_name='redisops.custom_modules')
    # 0.1.0 ignored the options a step did not use: its names still do
    assert lifecycle_todo.lifecycle_todo(run, 'uploads', host='a', prune=True, index=2) == \
        lifecycle_todo.lifecycle_todo(run, 'nodes', host='a')


def test_one_input_shape_for_every_record():
    """Each host's registered result with its host, for a task each host runs and for one run once."""
    run = planned()
    creates = lifecycle_todo.lifecycle_todo(run, 'cluster', host='a')
    run = lifecycle_record.lifecycle_record(run, 'cluster', [{'results': [dict(item=creates[0], changed=True)]}],
                                            hosts=['a'])
    uploads = lifecycle_todo.lifecycle_todo(run, 'nodes', host='a')
    listed = [dict(changed=True, item=uploads[0], artifacts=[NEW])]
    run = lifecycle_record.lifecycle_record(run, 'nodes', [{'results': listed}, {'results': listed}], hosts=['a', 'b'])
    assert run['errors'] == {'c1': []}
    assert run['changes']['c1'] == ['module object created: hello 1.0.0 (10000)'] + ['artifact uploaded: hello 1.0.0 (10000)'] * 2
    assert all(node['verified'] for node in run['nodes'].values())


def test_prune_of_a_slice_with_the_new_names():
    """The 0.1.0 names' test of a job slice (test_lifecycle_filters), with the step names and one input shape."""
    run = planned(prune=True, modules=[dict(OLD, uid='1'), dict(NEW, uid='2')], artifacts=[OLD, NEW])
    reads = lifecycle_todo.lifecycle_todo(run, 'cluster_read', prune=True, host='a')
    assert [r['cluster'] for r in reads] == ['c1']
    third = dict(uid=3, addr='10.0.0.3', url='https://10.0.0.3:9443', skipped=False, artifacts=[OLD, NEW], error=None)
    run = lifecycle_record.lifecycle_record(run, 'cluster_read', [{'results': [dict(item=reads[0], nodes=[third])]}],
                                            hosts=['a'])
    removals = lifecycle_todo.lifecycle_todo(run, 'remove_objects', prune=True)
    assert [r['key'] for r in removals] == ['hello/5000']
    run = lifecycle_record.lifecycle_record(run, 'remove_objects', [{'results': [dict(item=removals[0], changed=True)]}],
                                            hosts=['a'], prune=True)
    assert [r['key'] for r in lifecycle_todo.lifecycle_todo(run, 'remove_artifacts', host='b')] == ['hello/5000']
    outside = lifecycle_todo.lifecycle_todo(run, 'remove_outside')
    assert [(r['url'], r['key']) for r in outside] == [('https://10.0.0.3:9443', 'hello/5000')]
    run = lifecycle_record.lifecycle_record(run, 'remove_outside',
                                            [{'results': [dict(item=outside[0], changed=True, artifacts=[NEW])]}],
                                            hosts=['a'])
    assert run['changes']['c1'] == ['module object deleted: hello ? (5000)', 'artifact deleted: hello/5000']
    assert run['errors']['c1'] == []


def test_lifecycle_idle_says_whether_every_host_would_skip_the_step():
    from ansible_collections.redisops.custom_modules.plugins.filter import lifecycle_idle
    run = plan.plan([items.package_entry(Package(**PKG), 'present')], [], NODES,
                    {'c1': {'modules': []}}, {'a': {'artifacts': []}, 'b': {'artifacts': [NEW]}}, prune=False)
    idle = lifecycle_idle.lifecycle_idle
    assert idle(run, 'nodes', ['a', 'b']) is False      # a lacks the package
    assert idle(run, 'nodes', ['b']) is True            # b has it
    assert idle(run, 'cluster', ['b']) is True and idle(run, 'cluster', ['a']) is False   # a leads c1
    assert idle(run, 'remove_artifacts', ['a', 'b']) is True and idle(run, 'errors', ['a', 'b']) is True
    assert idle(run, 'upgrade', ['a']) is True and idle(run, 'restore', ['a', 'b']) is True
    assert idle(run, 'nodes', []) is True
    with pytest.raises(AnsibleFilterError, match="lifecycle_idle: step 'nodes' takes no option, not prune"):
        idle(run, 'nodes', ['a'], prune=True)
    with pytest.raises(AnsibleFilterError, match='lifecycle_idle: what must be one of'):
        idle(run, 'uploads', ['a'])
    with pytest.raises(AnsibleFilterError, match='hosts must be a list'):
        idle(run, 'nodes', 'a')
