# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's state (plugin_utils._lifecycle.run): one copy per step, the fact given back, the accessors."""

import json

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import plan, steps
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.step import Step
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import Run, plain
from tests.unit.plugins.plugin_utils.lifecycle_cases import PKG1, art, entry, nodes, reads


def planned():
    return plan.plan([entry(PKG1)], [], nodes('c1:a,b', 'c2:c'), *reads(), prune=False)


def test_the_read_pass_builds_a_run_and_hands_back_plain_json():
    run = planned()
    assert isinstance(run, Run)
    fact = run.fact()
    assert isinstance(fact, dict) and not isinstance(fact, Run) and json.loads(json.dumps(fact)) == fact
    assert sorted(fact) == sorted(['present', 'absent', 'clusters', 'nodes', 'errors', 'changes', 'uploads_enabled',
                                   'verification', 'work'])


def test_a_step_records_on_its_own_copy_and_never_changes_the_fact_it_got():
    fact = json.loads(json.dumps(planned().fact()))
    before = json.dumps(fact, sort_keys=True)
    registered = {'results': [dict(item=pkg, changed=True, artifacts=[art('hello', 10000)]) for pkg in [fact['present'][0]]]}
    after = steps.STEPS['nodes'].call_record(fact, [registered], ['a'], {})
    assert json.dumps(fact, sort_keys=True) == before
    assert isinstance(after, dict) and not isinstance(after, Run) and after['nodes']['a']['keys'] == ['hello/10000']
    assert 'verification: hello 1.0.0 (10000) is not listed on b (1/2 nodes ready)' in after['errors']['c1']
    assert after['changes']['c1'] == ['artifact uploaded: hello 1.0.0 (10000)']


def test_from_fact_copies_every_part_and_view_copies_none():
    fact = planned().fact()
    copy = Run.from_fact(fact)
    copy.node('a')['keys'].append('x/1')
    assert fact['nodes']['a']['keys'] == []
    view = Run.view(fact)
    assert view.node('a') is fact['nodes']['a'] and Run.view(view) is view


def test_accessors():
    run = planned()
    assert run.cluster('c2')['hosts'] == ['c'] and run.cluster('nope') is None
    assert run.node('a')['cluster'] == 'c1' and run.node('nope') is None
    assert [h for h, n in run.hosts_of(run.cluster('c1'))] == ['a', 'b']
    assert [p['key'] for p in run.packages(['hello/10000', 'other/1'])] == ['hello/10000'] == run.present_keys()
    assert not run.failed('c1')
    run.error('c1', 'boom')
    run.error('c1', 'boom')
    run.change('c2', 'artifact uploaded: x')
    assert run.failed('c1') and run.errors_of('c1') == ['boom'] and run.changes_of('c2') == ['artifact uploaded: x']
    run.note_gate('c2', {'allow_modules_upload_changed': True})
    run.note_gate('c2', {'allow_modules_upload_changed': True})
    run.note_gate('c1', {})
    assert run['uploads_enabled'] == ['c2']


def test_verify_names_what_is_lacking():
    run = planned()
    run.node('a')['keys'] = ['hello/10000']
    run.cluster('c1')['keys'] = ['hello/10000']
    run.verify(record_errors=True)
    assert run.node('a')['verified'] is False          # its cluster has an error: b lacks the package
    assert run.errors_of('c1') == ['verification: hello 1.0.0 (10000) is not listed on b (1/2 nodes ready)']
    assert run.errors_of('c2') == ['verification: hello 1.0.0 (10000) is not listed on c (0/1 nodes ready)',
                                   'verification: the cluster has no module object for hello 1.0.0 (10000)']


def test_plain_leaves_out_the_keys_never_read():
    assert plain({'a': ({'skipped_reason': 'x', 'b': 1},)}) == {'a': [{'b': 1}]}


def test_a_step_says_what_it_lacks():
    for call in (lambda: Step().todo(planned()), lambda: Step().record(planned(), [])):
        try:
            call()
        except NotImplementedError:
            continue
        raise AssertionError('the base step answered')


def test_skipped_results_change_nothing():
    fact = planned().fact()
    skipped = {'results': [dict(item=dict(cluster='c1', pkg=fact['present'][0], label='x'), skipped=True)]}
    for name in ('cluster', 'nodes', 'check'):
        after = steps.STEPS[name].call_record(fact, [skipped], ['a'], {})
        assert after['changes'] == fact['changes'] and after['nodes']['a']['keys'] == [], name
    assert steps.STEPS['check'].call_todo(fact, {'host': 'a'}) == steps.STEPS['nodes'].call_todo(fact, {'host': 'a'}) \
        == fact['present']
