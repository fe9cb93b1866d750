# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps check, cluster and nodes (plugin_utils._lifecycle.writes), as tables of cases."""

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import plan, report, steps, writes
from tests.unit.plugins.plugin_utils.lifecycle_cases import PKG1, entry, nodes, obj, reads, upload_result


def test_record_checks():
    run = plan.plan([entry(PKG1)], [], nodes('c1:a,b'), *reads(), prune=False)
    failed = {'results': [{'failed': True, 'msg': 'uploads are disabled', 'error_code': 'modules_upload_disabled',
                           'item': {'label': 'hello 1.0.0 (10000)'}}]}
    run = writes.record_checks(run, [('a', {'results': [{'changed': True}]}), ('b', failed)])
    assert len(run['check_problems']) == 1
    assert run['check_problems'][0].startswith('b (hello 1.0.0 (10000)): uploads are disabled Uploads are disabled')


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
    assert not steps.STEPS['restore'].idle(run, ['b']) and steps.STEPS['restore'].idle(dict(run, uploads_enabled=[]), ['b'])


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
