# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read pass with module_lifecycle_upgrade_databases: GET /v1/bdbs once per cluster, only where needed."""

from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError
from tests.unit.plugins.action.test_redis_module_lifecycle_plan_action import NODES, FakeFleet, run_action

OLD = dict(module_name='hello', version=500, semantic_version='0.5.0', uid='old')
NEW = dict(module_name='hello', version=10000, semantic_version='1.0.0', uid='new')
C1 = 'https://10.0.0.1:9443'
C2 = 'https://10.0.1.1:9443'


class Fleet(FakeFleet):
    """FakeFleet with databases: ``bdbs`` by url."""

    def __init__(self, bdbs=None, **kwargs):
        super(Fleet, self).__init__(**kwargs)
        self.bdbs = bdbs or {}

    def client(self, url, username, password, **kwargs):
        client = super(Fleet, self).client(url, username, password, **kwargs)
        fleet = self

        def list_bdbs():
            client._log('list_bdbs')
            return fleet.bdbs.get(url, [])
        client.list_bdbs = list_bdbs
        return client


def db(uid, name, semver='0.5.0', module_id='old'):
    entry = dict(module_id=module_id, module_name='hello', semantic_version=semver)
    return dict(uid=uid, name=name, redis_version='8.2', module_list=[entry])


def fleet(c1_modules, c2_modules, bdbs=None):
    everywhere = [dict(module_name=m['module_name'], version=m['version']) for m in [OLD, NEW]]
    return Fleet(modules={C1: c1_modules, C2: c2_modules}, artifacts=dict((n['url'], everywhere) for n in NODES),
                 bdbs=bdbs)


def bdb_reads(fake):
    return sorted(url for url, method in fake.calls if method == 'list_bdbs')


def test_off_reads_no_database(monkeypatch):
    fake = fleet([OLD, NEW], [OLD, NEW], {C1: [db(1, 'orders')]})
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}]), monkeypatch)
    assert not result.get('failed') and bdb_reads(fake) == []
    assert all(not c.get('upgrades') for c in result['run']['clusters'])


def test_true_reads_only_clusters_with_two_versions_and_plans_their_databases(monkeypatch):
    fake = fleet([OLD, NEW], [NEW], {C1: [db(2, 'billing'), db(1, 'orders'), db(3, 'new', '1.0.0', 'new')]})
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}], upgrade_databases=True), monkeypatch)
    assert not result.get('failed'), result
    assert bdb_reads(fake) == [C1]
    run = result['run']
    assert run['work'] is True
    assert [[d['name'] for d in c['upgrades']] for c in run['clusters']] == [['orders', 'billing'], []]
    assert run['clusters'][0]['upgrades'][0]['upgrades'][0]['to'] == '1.0.0'


def test_a_no_op_with_upgrades_on_reads_no_database(monkeypatch):
    fake = fleet([NEW], [NEW])
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}], upgrade_databases=True), monkeypatch)
    assert not result.get('failed') and bdb_reads(fake) == []
    assert result['run']['work'] is False


def test_names_are_looked_up_on_every_cluster(monkeypatch):
    fake = fleet([NEW], [NEW], {C1: [db(1, 'orders', '1.0.0', 'new')]})
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}], upgrade_databases=['orders']), monkeypatch)
    assert not result.get('failed') and bdb_reads(fake) == [C1, C2]
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}], upgrade_databases=['ordrs']), monkeypatch)
    assert result['failed'] and result['msg'].startswith('Nothing was changed.')
    assert "no database named 'ordrs' on cluster(s) c1, c2 (their databases: orders)" in result['msg']


def test_a_bad_setting_fails_before_any_request(monkeypatch):
    fake = fleet([NEW], [NEW])
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}], upgrade_databases='orders'), monkeypatch)
    assert result['failed'] and 'module_lifecycle_upgrade_databases must be false, true' in result['msg']
    assert fake.calls == []


def test_a_failed_database_read_names_the_cluster(monkeypatch):
    fake = fleet([OLD, NEW], [NEW])

    original = fake.client

    def client(url, *args, **kwargs):
        made = original(url, *args, **kwargs)
        if url == C1:
            def list_bdbs():
                raise plan_error()
            made.list_bdbs = list_bdbs
        return made
    fake.client = client
    result = run_action(fake, dict(artifacts=[{'src': 'hello.zip'}], upgrade_databases=True), monkeypatch)
    assert result['failed'] and 'cluster c1 (GET /v1/bdbs via c1-node1): GET /v1/bdbs: HTTP 403' in result['msg'], result


def plan_error():
    return RedisEnterpriseError('HTTP 403', method='GET', path='/v1/bdbs')


def test_node_mode_takes_the_databases_the_first_nodes_read(monkeypatch):
    fake = Fleet()
    result = run_action(fake, dict(
        artifacts=[{'src': 'hello.zip'}], read=False, upgrade_databases=True,
        cluster_reads=[dict(item=dict(name='c1'), modules=[OLD, NEW], databases=[db(1, 'orders')]),
                       dict(item=dict(name='c2'), modules=[NEW], databases=[])],
        node_reads=dict((n['host'], dict(artifacts=[dict(module_name='hello', version=v) for v in (500, 10000)]))
                        for n in NODES)), monkeypatch)
    assert not result.get('failed'), result
    assert fake.calls == []
    run = result['run']
    assert [[d['name'] for d in c['upgrades']] for c in run['clusters']] == [['orders'], []]
    # the first node's read without the databases (the role's read task did not ask): named
    result = run_action(fake, dict(
        artifacts=[{'src': 'hello.zip'}], read=False, upgrade_databases=True,
        cluster_reads=[dict(item=dict(name='c1'), modules=[OLD, NEW]), dict(item=dict(name='c2'), modules=[NEW])],
        node_reads=dict((n['host'], dict(artifacts=[])) for n in NODES)), monkeypatch)
    assert result['failed'] and 'the databases were not read' in result['msg'], result
