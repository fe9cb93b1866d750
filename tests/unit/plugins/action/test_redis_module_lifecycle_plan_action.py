# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read pass of the module_lifecycle role: one action for the batch, reads concurrently, writes nothing."""

import threading
from unittest import mock

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.action import redis_module_lifecycle_plan as plan_action
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError

NODES = [dict(host='c1-node1', cluster='c1', url='https://10.0.0.1:9443'),
         dict(host='c1-node2', cluster='c1', url='https://10.0.0.2:9443'),
         dict(host='c2-node1', cluster='c2', url='https://10.0.1.1:9443')]
PACKAGE = dict(path='/p/hello-1.0.0.zip', module_name='hello', version=10000, semantic_version='1.0.0',
               architecture='x86_64', operating_systems=None)
X86 = [dict(uid=1, addr='10.0.0.1', architecture='x86_64'), dict(uid=2, addr='10.0.0.2', architecture='x86_64'),
       dict(uid=3, addr='10.0.1.1', architecture='x86_64')]


class FakeFleet(object):
    """Clients by url; every call is logged as (url, method)."""

    def __init__(self, modules=None, artifacts=None, fail=None, allow=True, nodes=None):
        self.modules = modules or {}
        self.artifacts = artifacts or {}
        self.fail = fail or {}
        self.allow = allow
        self.gates = {}
        self.nodes = nodes if nodes is not None else X86
        self.calls = []
        self.lock = threading.Lock()
        self.credentials = set()
        self.warnings = []
        self.kwargs = []

    def client(self, url, username, password, **kwargs):
        fleet = self
        fleet.credentials.add((username, password, kwargs.get('ca_path')))
        fleet.kwargs.append(kwargs)

        class Client(object):
            warnings = list(fleet.warnings)
            base_url = url

            def _log(self, method):
                with fleet.lock:
                    fleet.calls.append((url, method))
                if url in fleet.fail:
                    raise RedisEnterpriseError('cannot connect to %s' % url, method='GET', path='/x', hint='Is it up?')

            def list_modules(self):
                self._log('list_modules')
                return fleet.modules.get(url, [])

            def list_artifacts(self):
                self._log('list_artifacts')
                return fleet.artifacts.get(url, [])

            def get_cluster(self):
                self._log('get_cluster')
                return {'allow_modules_upload': fleet.gates.get(url, fleet.allow)}

            def list_nodes(self):
                self._log('list_nodes')
                return fleet.nodes

            def set_allow_modules_upload(self, value):
                self._log('set_allow_modules_upload')
                fleet.gates[url] = value
                return {'allow_modules_upload': value}

            def create_user_module(self, metadata):
                self._log('create_user_module')
                created = dict(metadata, uid='u-%s' % url)
                fleet.modules.setdefault(url, []).append(created)
                return created

            def close(self):
                pass
        return Client()


def inspect(src):
    if src != 'hello.zip':
        raise ValueError('%s: no such file' % src)
    return Package(**PACKAGE)


def run_action(fleet, args, monkeypatch, check_mode=False):
    monkeypatch.setattr(plan_action._client, 'Client', fleet.client)
    task = mock.MagicMock()
    base = dict(nodes=NODES, username='admin', password='s3cret-pw', ca_path='/ca.pem')
    base.update(args)
    task.args = dict((key, value) for key, value in base.items() if value is not None)
    task.async_val = 0
    task.check_mode = check_mode
    loader = mock.MagicMock()
    loader.get_real_file.side_effect = lambda path, decrypt=True: path   # packages that are not vaulted
    action = plan_action.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader, mock.MagicMock(), None)
    action._inspect = inspect
    return action.run(task_vars={})


def everything_there():
    obj = [dict(module_name='hello', version=10000, semantic_version='1.0.0', uid='1')]
    art = [dict(module_name='hello', version=10000)]
    return FakeFleet(modules={'https://10.0.0.1:9443': obj, 'https://10.0.1.1:9443': obj},
                     artifacts=dict((n['url'], art) for n in NODES))


def test_a_no_op_reads_n_plus_c_listings_and_nothing_else(monkeypatch):
    fleet = everything_there()
    result = run_action(fleet, dict(artifacts=[{'src': 'hello.zip'}]), monkeypatch)
    assert not result.get('failed'), result
    run = result['run']
    assert run['work'] is False and 'nothing to do' in result['msg']
    assert sorted(fleet.calls) == sorted([('https://10.0.0.1:9443', 'list_modules'), ('https://10.0.1.1:9443', 'list_modules')]
                                         + [(n['url'], 'list_artifacts') for n in NODES])
    assert fleet.credentials == set([('admin', 's3cret-pw', '/ca.pem')])
    assert 'ansible_facts' not in result     # the role reads the registered result: no fact injection needed


def test_a_first_deploy_checks_each_cluster_once_before_any_write(monkeypatch):
    fleet = FakeFleet()
    result = run_action(fleet, dict(artifacts=[{'src': 'hello.zip'}], allow_uploads='temporary'), monkeypatch)
    assert not result.get('failed'), result
    run = result['run']
    assert run['work'] is True
    assert [c['create'] for c in run['clusters']] == [['hello/10000'], ['hello/10000']]
    checks = sorted(call for call in fleet.calls if call[1] in ('get_cluster', 'list_nodes'))
    assert checks == [('https://10.0.0.1:9443', 'get_cluster'), ('https://10.0.0.1:9443', 'list_nodes'),
                      ('https://10.0.1.1:9443', 'get_cluster'), ('https://10.0.1.1:9443', 'list_nodes')]
    assert [c['allow_modules_upload'] for c in run['clusters']] == [True, True]


def test_uploads_disabled_fail_before_any_write(monkeypatch):
    fleet = FakeFleet(allow=False)
    result = run_action(fleet, dict(artifacts=[{'src': 'hello.zip'}]), monkeypatch)
    assert result['failed'] and result['msg'].startswith('Nothing was changed.')
    assert 'cluster c1 (via c1-node1)' in result['msg'] and 'module_lifecycle_allow_uploads' in result['msg']


def test_a_node_of_another_architecture_is_named(monkeypatch):
    nodes = [dict(X86[0]), dict(X86[1], architecture='aarch64'), dict(X86[2])]
    fleet = FakeFleet(nodes=nodes)
    result = run_action(fleet, dict(artifacts=[{'src': 'hello.zip'}], allow_uploads=True), monkeypatch)
    assert result['failed'] and 'Nothing was changed.' in result['msg']
    assert 'c1-node2 (hello 1.0.0 (10000))' in result['msg'] and 'aarch64' in result['msg']
    assert 'c1-node1' not in result['msg']


def test_unreadable_nodes_are_named_and_stop_everything(monkeypatch):
    fleet = everything_there()
    fleet.fail = {'https://10.0.0.2:9443': True}
    result = run_action(fleet, dict(artifacts=[{'src': 'hello.zip'}]), monkeypatch)
    assert result['failed'] and result['msg'].startswith('Nothing was changed. node c1-node2 (https://10.0.0.2:9443): ')
    assert 'run' not in result and 's3cret-pw' not in result['msg']


def test_bad_items_fail_before_any_request(monkeypatch):
    fleet = FakeFleet()
    result = run_action(fleet, dict(artifacts=[{'src': 'nope.zip'}, {'module_name': 'hello', 'version': 'x', 'state': 'absent'}],
                                    allow_uploads='sometimes'), monkeypatch)
    assert result['failed'] and fleet.calls == []
    assert 'nope.zip: no such file' in result['msg'] and 'module_lifecycle_artifacts[1]' in result['msg']
    assert 'module_lifecycle_allow_uploads must be true, false or temporary' in result['msg']


def test_missing_credentials_are_a_read_problem_naming_the_variables(monkeypatch):
    fleet = FakeFleet()
    monkeypatch.delenv('REDIS_ENTERPRISE_PASSWORD', raising=False)
    result = run_action(fleet, dict(password=None), monkeypatch)
    assert result['failed'] and fleet.calls == []
    assert result['msg'] == ('Nothing was changed. missing password: set module_lifecycle_password or the environment '
                             'variable(s) REDIS_ENTERPRISE_PASSWORD')


def test_credentials_from_the_environment_like_the_modules(monkeypatch):
    fleet = everything_there()
    monkeypatch.setenv('REDIS_ENTERPRISE_PASSWORD', 'from-env')
    result = run_action(fleet, dict(password=None), monkeypatch)
    assert not result.get('failed'), result
    assert fleet.credentials == set([('admin', 'from-env', '/ca.pem')])


def test_report_mode_reads_and_reports_drift(monkeypatch):
    fleet = everything_there()
    fleet.artifacts['https://10.0.0.2:9443'] = []
    result = run_action(fleet, dict(mode='report'), monkeypatch)
    assert [s['in_sync'] for s in result['status']] == [False, True]
    assert '  DRIFT module object hello 1.0.0 (10000) has no artifact on c1-node2' in result['lines']


def test_node_mode_takes_the_reads_it_is_given(monkeypatch):
    fleet = FakeFleet()
    obj = [dict(module_name='hello', version=10000, semantic_version='1.0.0')]
    result = run_action(fleet, dict(
        artifacts=[{'src': 'hello.zip'}], read=False,
        cluster_reads=[dict(item=dict(name='c1'), modules=obj), dict(item=dict(name='c2'), failed=True, msg='HTTP 401')],
        node_reads={'c1-node1': dict(artifacts=[]), 'c1-node2': dict(artifacts=[])}), monkeypatch)
    assert fleet.calls == []
    assert result['failed'] and 'cluster c2 (module objects, via c2-node1 at https://10.0.1.1:9443): HTTP 401' in result['msg']
    assert 'node c2-node1 (https://10.0.1.1:9443): not read' in result['msg']


def test_run_parallel_keeps_going_past_failures():
    def boom():
        raise RuntimeError('unexpected')

    def refused():
        raise RedisEnterpriseError('refused', method='GET', path='/v1/modules', status=401)
    done = plan_action.run_parallel({'a': lambda: 1, 'b': boom, 'c': refused}, workers=2)
    assert done['a'] == {'value': 1}
    assert done['b'] == {'error': 'RuntimeError: unexpected'}
    assert done['c']['error'].startswith('GET /v1/modules: HTTP 401')
    assert plan_action.run_parallel({}) == {}


def test_run_parallel_is_bounded():
    active = []
    peak = []
    lock = threading.Lock()
    gate = threading.Event()

    def job():
        with lock:
            active.append(1)
            peak.append(len(active))
        gate.wait(0.05)
        with lock:
            active.pop()
        return True
    done = plan_action.run_parallel(dict((i, job) for i in range(20)), workers=4)
    assert len(done) == 20 and max(peak) <= 4


def test_connection_options_and_warnings_like_the_modules(monkeypatch):
    fleet = everything_there()
    fleet.warnings = ['validate_certs is false: the nodes are not authenticated']
    result = run_action(fleet, dict(validate_certs=False, allow_http=True, timeout=7), monkeypatch)
    assert not result.get('failed'), result
    assert all(k['validate_certs'] is False and k['allow_http'] is True and k['timeout'] == 7 for k in fleet.kwargs)
    assert result['warnings'] == fleet.warnings  # once, not once per node


def test_a_refused_url_is_a_read_problem(monkeypatch):
    fleet = everything_there()

    def refuse(url, *args, **kwargs):
        if url.startswith('http://'):
            raise RedisEnterpriseError('url http://10.0.0.2:9443 is not https; set allow_http: true')
        return fleet.client(url, *args, **kwargs)
    nodes = [dict(NODES[0]), dict(NODES[1], url='http://10.0.0.2:9443'), dict(NODES[2])]
    monkeypatch.setattr(plan_action._client, 'Client', refuse)
    task = mock.MagicMock()
    task.args = dict(nodes=nodes, username='admin', password='pw')
    task.async_val = 0
    loader = mock.MagicMock()
    loader.get_real_file.side_effect = lambda path, decrypt=True: path   # packages that are not vaulted
    action = plan_action.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader, mock.MagicMock(), None)
    result = action.run(task_vars={})
    assert result['failed'] and 'node c1-node2 (http://10.0.0.2:9443): url http://10.0.0.2:9443 is not https' in result['msg']


RESTORE = [dict(cluster='c1', via='c1-node1', url='https://10.0.0.1:9443'), dict(cluster='c2', via='c2-node1', url='https://10.0.1.1:9443')]


def test_restore_sets_every_cluster_back_at_once(monkeypatch):
    fleet = FakeFleet(allow=True)
    result = run_action(fleet, dict(mode='restore', nodes=None, restore=RESTORE), monkeypatch)
    assert not result.get('failed') and result['changed'], result
    assert [(r['cluster'], r['previous'], r['allowed'], r['changed']) for r in result['restored']] == [
        ('c1', True, False, True), ('c2', True, False, True)]
    assert sorted(fleet.calls) == sorted([(t['url'], m) for t in RESTORE for m in ('get_cluster', 'set_allow_modules_upload')])
    assert result['msg'] == 'allow_modules_upload false on c1, c2'


def test_restore_in_check_mode_and_when_already_false_sends_no_write(monkeypatch):
    fleet = FakeFleet(allow=True)
    result = run_action(fleet, dict(mode='restore', nodes=None, restore=RESTORE), monkeypatch, check_mode=True)
    assert result['changed'] and 'would be false' in result['msg']
    assert [call for call in fleet.calls if call[1] != 'get_cluster'] == []
    fleet = FakeFleet(allow=False)
    result = run_action(fleet, dict(mode='restore', nodes=None, restore=RESTORE), monkeypatch)
    assert not result['changed'] and [call for call in fleet.calls if call[1] != 'get_cluster'] == []


def test_a_cluster_that_cannot_be_restored_is_named_and_the_others_are_restored(monkeypatch):
    fleet = FakeFleet(allow=True, fail={'https://10.0.1.1:9443': True})
    result = run_action(fleet, dict(mode='restore', nodes=None, restore=RESTORE), monkeypatch)
    assert result['failed'] and 'cluster c2 (via https://10.0.1.1:9443): ' in result['msg'] and 'cannot connect' in result['msg']
    assert 'redis_cluster_upload_gate with allowed: false' in result['msg'] and 's3cret-pw' not in result['msg']
    assert [r['cluster'] for r in result['restored']] == ['c1']


def test_cluster_mode_creates_every_missing_object_at_once_like_the_module(monkeypatch, testmodules):
    fleet = FakeFleet(allow=False, nodes=[dict(uid=1, addr='10.0.0.1', architecture='x86_64',
                                               supported_database_versions=[dict(db_type='redis', version='8.2')])])
    pkg = dict(src=testmodules.v1['path'], key='hello/10000', label='hello 1.0.0 (10000)')
    creates = [dict(cluster='c1', url='https://10.0.0.1:9443', leader='c1-node1', pkg=pkg),
               dict(cluster='c2', url='https://10.0.1.1:9443', leader='c2-node1', pkg=pkg)]
    result = run_action(fleet, dict(mode='cluster', nodes=None, creates=creates, allow_uploads='temporary'), monkeypatch)
    assert not result.get('failed') and result['changed'], result
    assert [(r['item']['cluster'], r['changed'], r['allow_modules_upload_changed']) for r in result['results']] == [
        ('c1', True, True), ('c2', True, True)]
    assert sorted(url for url, method in fleet.calls if method == 'create_user_module') == sorted(c['url'] for c in creates)
    assert all(r['module']['module_name'] == 'hello' for r in result['results'])


def test_cluster_mode_reports_a_failed_cluster_as_its_result(monkeypatch, testmodules):
    fleet = FakeFleet(allow=True, fail={'https://10.0.1.1:9443': True})
    pkg = dict(src=testmodules.v1['path'], key='hello/10000', label='hello 1.0.0 (10000)')
    creates = [dict(cluster='c2', url='https://10.0.1.1:9443', leader='c2-node1', pkg=pkg)]
    result = run_action(fleet, dict(mode='cluster', nodes=None, creates=creates, allow_uploads=False), monkeypatch)
    assert not result.get('failed') and not result['changed']
    failed = result['results'][0]
    assert failed['failed'] and 'cannot connect' in failed['msg'] and failed['item']['cluster'] == 'c2'
    assert 's3cret-pw' not in str(result) and result['msg'] == 'module objects: c2 failed'


def test_cluster_mode_names_a_package_it_cannot_read_and_sends_nothing(monkeypatch, tmp_path):
    bad = tmp_path / 'broken.zip'
    bad.write_bytes(b'not a zip')
    fleet = FakeFleet()
    creates = [dict(cluster='c1', url='https://10.0.0.1:9443', leader='c1-node1', pkg=dict(src=str(bad), key='x/1', label='x'))]
    result = run_action(fleet, dict(mode='cluster', nodes=None, creates=creates), monkeypatch)
    assert result['results'][0]['failed'] and str(bad) in result['results'][0]['msg'] and fleet.calls == []
