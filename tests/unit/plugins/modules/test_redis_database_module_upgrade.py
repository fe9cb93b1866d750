# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_database_module_upgrade through main(), against a fake cluster: databases, module objects, nodes with
their artifacts, and upgrade actions that advance each time they are read."""

import copy

import pytest

from ansible_collections.redisops.custom_modules.plugins.modules import redis_database_module_upgrade as mod_under_test
from tests.unit.plugins.modules.conftest import FakeREST, http_error

PASSWORD = "s3cr3t-Upgrade-Pa55word"
CONN = dict(url="https://127.0.0.11:9443", username="admin@redis.test", password=PASSWORD, poll_interval=0.01)


def module_object(version, compatible="8.2"):
    semver = "%d.0.0" % (version // 10000)
    return {"uid": "hello-%d" % version, "module_name": "hello", "version": version, "semantic_version": semver,
            "compatible_redis_version": compatible, "min_redis_version": "8.0", "is_bundled": False}


class FakeClient(FakeREST):
    """A one-database cluster. ``steps``: the action statuses GET /v1/actions returns, one per read."""

    WRITES = ("upgrade_bdb",)

    def __init__(self, in_use=10000, versions=(10000, 20000), nodes=None, steps=("active", "completed"), error=None):
        super(FakeClient, self).__init__()
        self.base_url = "https://127.0.0.11:9443"
        self.modules = [module_object(v) for v in versions]
        self.bdb = {"uid": 1, "name": "db1", "redis_version": "8.2", "version": "8.2.1",
                    "module_list": [self.entry(in_use)]}
        everywhere = [("hello", v) for v in versions]
        self.nodes = nodes if nodes is not None else {"127.0.0.11": everywhere, "127.0.0.12": everywhere}
        self.steps = list(steps)
        self.error = error
        self.bodies = []
        self.node_reads = []
        self.pending = None

    def entry(self, version):
        obj = [m for m in self.modules if m["version"] == version][0]
        return {"module_id": obj["uid"], "module_name": "hello", "semantic_version": obj["semantic_version"], "module_args": ""}

    # the client API the module uses
    def list_bdbs(self):
        self._call("list_bdbs")
        return [copy.deepcopy(self.bdb)]

    def get_bdb(self, uid):
        self._call("get_bdb")
        if uid != 1:
            raise http_error("GET", "/v1/bdbs/%s" % uid, 404, "db_not_exist", "No database with uid '%s'" % uid)
        return copy.deepcopy(self.bdb)

    def list_modules(self):
        self._call("list_modules")
        return copy.deepcopy(self.modules)

    def list_nodes(self):
        self._call("list_nodes")
        return [{"uid": i + 1, "addr": addr} for i, addr in enumerate(sorted(self.nodes))]

    def node_url(self, address):
        return "https://%s:9443" % address

    def for_url(self, url):
        parent = self

        class Sibling(object):
            base_url = url

            def list_artifacts(self):
                parent._call("list_artifacts")
                address = url.split("//")[1].split(":")[0]
                parent.node_reads.append(address)
                return [{"module_name": n, "version": v, "dependencies": []} for n, v in parent.nodes[address]]

            def close(self):
                pass
        return Sibling()

    def upgrade_bdb(self, uid, body, dry_run=False):
        self._call("upgrade_bdb_dry_run" if dry_run else "upgrade_bdb")
        self.bodies.append((body, dry_run))
        target = max(m["version"] for m in self.modules if m["compatible_redis_version"] == "8.2")
        if dry_run:
            return dict(self.bdb, module_list=[self.entry(target)])
        self.pending = target
        return dict(self.bdb, action_uid="act-1")

    def get_action(self, action_uid):
        self._call("get_action")
        status = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        action = {"action_uid": action_uid, "status": status, "progress": {"pending": 0.0, "active": 50.0}.get(status, 100.0)}
        if status == "completed" and self.pending:
            self.bdb["module_list"] = [self.entry(self.pending)]
        if status == "failed":
            action["error"] = self.error or "shard 1 did not restart"
            action["progress"] = 40.0
        return action


@pytest.fixture
def fake(fake_client):
    return fake_client(FakeClient)


@pytest.fixture
def run(module_runner):
    return module_runner(mod_under_test.main, CONN, secret=PASSWORD)


def versions(module_list):
    return [(e["module_name"], e["semantic_version"]) for e in module_list]


def test_apply_upgrades_waits_and_reports_progress(fake, run):
    client = fake()
    result = run(dict(database="db1", preserve_roles=True, parallel_shards_upgrade=2), diff=True)
    assert result.rc == 0 and result["changed"] is True, result
    assert client.writes() == ["upgrade_bdb"]
    body, dry = client.bodies[0]
    assert not dry and body == {"redis_version": "8.2", "may_discard_data": False, "force_discard": False,
                                "preserve_roles": True, "parallel_shards_upgrade": 2}
    assert result["upgrades"] == [{"module_name": "hello", "from": "1.0.0", "to": "2.0.0", "from_version": 10000,
                                   "to_version": 20000}]
    assert versions(result["module_list"]) == [("hello", "2.0.0")]
    assert result["action"]["status"] == "completed" and result["action"]["action_uid"] == "act-1"
    assert result["action"]["progress_log"] == [{"status": "active", "progress": 50.0},
                                                {"status": "completed", "progress": 100.0}]
    assert result["diff"] == {"before": {"module_list": [{"module_name": "hello", "semantic_version": "1.0.0"}]},
                              "after": {"module_list": [{"module_name": "hello", "semantic_version": "2.0.0"}]}}
    assert result["database"] == {"uid": 1, "name": "db1", "redis_version": "8.2"}
    assert sorted(client.node_reads) == ["127.0.0.11", "127.0.0.12"]


def test_already_there_sends_nothing_and_reads_no_node(fake, run):
    client = fake(in_use=20000)
    result = run(dict(database="db1"), diff=True)
    assert result.rc == 0 and result["changed"] is False
    assert client.writes() == [] and client.node_reads == [] and "get_action" not in client.calls
    assert result["upgrades"] == [] and result["action"] == {}
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_predicts_without_writing(fake, run):
    client = fake()
    result = run(dict(database_uid=1), check_mode=True, diff=True)
    assert result.rc == 0 and result["changed"] is True
    assert client.writes() == [] and "upgrade_bdb_dry_run" not in client.calls
    assert versions(result["module_list"]) == [("hello", "2.0.0")]
    assert versions(client.bdb["module_list"]) == [("hello", "1.0.0")]


def test_check_mode_with_server_dry_run(fake, run):
    client = fake()
    result = run(dict(database="db1", server_dry_run=True), check_mode=True)
    assert result["changed"] is True and client.writes() == []
    assert client.calls.count("upgrade_bdb_dry_run") == 1 and client.bodies[0][1] is True
    assert versions(result["module_list"]) == [("hello", "2.0.0")]


def test_server_dry_run_is_not_used_outside_check_mode(fake, run):
    client = fake()
    assert run(dict(database="db1", server_dry_run=True))["changed"] is True
    assert "upgrade_bdb_dry_run" not in client.calls


def test_newest_version_on_no_node_is_held_back_with_a_warning(fake, run, module_warnings):
    client = fake(in_use=20000, versions=(10000, 20000, 30000),
                  nodes={"127.0.0.11": [("hello", 20000)], "127.0.0.12": [("hello", 20000)]})
    result = run(dict(database="db1"))
    assert result.rc == 0 and result["changed"] is False and client.writes() == []
    texts = [str(w.get("event", {}).get("msg", w)) if isinstance(w, dict) else w for w in result.get("warnings", [])]
    assert any("hello 3.0.0 is in the cluster but its artifact is not on every node" in t and "'db1'" in t for t in texts), result


def test_artifact_missing_on_a_node_keeps_the_version_out(fake, run):
    client = fake(versions=(10000, 20000, 30000),
                  nodes={"127.0.0.11": [("hello", 10000), ("hello", 20000), ("hello", 30000)],
                         "127.0.0.12": [("hello", 10000), ("hello", 20000)]})
    result = run(dict(database="db1"), check_mode=True)
    assert result["changed"] is True and result["upgrades"][0]["to"] == "2.0.0"
    assert client.writes() == []


def test_check_artifacts_false_reads_no_node(fake, run):
    client = fake(nodes={"127.0.0.11": [], "127.0.0.12": []})
    result = run(dict(database="db1", check_artifacts=False), check_mode=True)
    assert result["changed"] is True and client.node_reads == [] and "list_nodes" not in client.calls


@pytest.mark.parametrize("check_mode", [False, True])
def test_downgrade_is_refused_before_anything_is_sent(fake, run, check_mode):
    client = fake(in_use=20000, nodes={"127.0.0.11": [("hello", 10000)], "127.0.0.12": [("hello", 10000), ("hello", 20000)]},
                  versions=(10000, 20000, 30000))
    result = run(dict(database="db1"), check_mode=check_mode)
    assert result.failed and client.writes() == []
    assert "database 'db1'" in result["msg"] and "downgrade" in result["msg"] and "Nothing was sent." in result["msg"]
    assert "artifact missing on node 1 (127.0.0.11)" in result["msg"]


def test_no_fitting_version_is_refused(fake, run):
    client = fake(in_use=10000, versions=(10000,))
    client.modules[0]["compatible_redis_version"] = "8.0"
    result = run(dict(database="db1"))
    assert result.failed and client.writes() == []
    assert "no version of hello can be used" in result["msg"] and "Redis 8.2" in result["msg"]


def test_failed_action_fails_with_the_reason_the_database_and_what_to_do(fake, run):
    client = fake(steps=("pending", "active", "failed"), error="shard manager stuck")
    result = run(dict(database="db1"))
    assert result.failed and result["changed"] is True
    assert "database 'db1'" in result["msg"] and "shard manager stuck" in result["msg"]
    assert "hello 1.0.0 -> 2.0.0" in result["msg"] and "run the task again" in result["msg"]
    assert versions(result["module_list"]) == [("hello", "1.0.0")]
    assert [s["status"] for s in result["action"]["progress_log"]] == ["pending", "active", "failed"]


def test_timeout_fails_and_says_it_may_still_run(fake, run):
    client = fake(steps=("active",))
    result = run(dict(database="db1", wait_timeout=0))
    assert result.failed and result["changed"] is True
    assert "did not finish within 0 s" in result["msg"] and "GET /v1/actions/act-1" in result["msg"]
    assert client.writes() == ["upgrade_bdb"]


def test_no_wait_returns_the_action(fake, run):
    client = fake()
    result = run(dict(database="db1", wait=False))
    assert result["changed"] is True and result["action"]["action_uid"] == "act-1"
    assert "get_action" not in client.calls


def test_server_refusal_names_the_database(fake, run):
    client = fake(nodes={"127.0.0.11": [("hello", 10000), ("hello", 20000)], "127.0.0.12": [("hello", 10000), ("hello", 20000)]})
    client.fail["upgrade_bdb"] = [http_error("POST", "/v1/bdbs/1/upgrade", 400, "upgrade_bdb_failed",
                                             "Unable to find a version of the module hello")]
    result = run(dict(database="db1"))
    assert result.failed and result["status"] == 400 and result["error_code"] == "upgrade_bdb_failed"
    assert "database 'db1': Unable to find a version of the module hello" in result["msg"]
    assert "upload a version built for it" in result["msg"] and result["changed"] is False


def test_unknown_uid_is_the_servers_404_with_a_hint(fake, run):
    client = fake()
    result = run(dict(database_uid=7))
    assert result.failed and result["status"] == 404 and result["error_code"] == "db_not_exist"
    assert "check database_uid" in result["msg"] and client.writes() == []


def test_unknown_name_lists_the_databases(fake, run):
    fake()
    result = run(dict(database="nope"))
    assert result.failed and "no database named 'nope'" in result["msg"] and "db1" in result["msg"]


def test_unreadable_node_fails_with_what_to_do(fake, run):
    client = fake()
    client.fail["list_artifacts"] = [http_error("GET", "/v2/local/modules/user-defined/artifacts", 503, "node_unavailable")]
    result = run(dict(database="db1"))
    assert result.failed and "cannot read the artifacts of node 1" in result["msg"]
    assert "check_artifacts: false" in result["msg"] and client.writes() == []


@pytest.mark.parametrize("args, text", [
    (dict(database="db1", force_discard=True), "force_discard: true needs may_discard_data: true"),
    (dict(database="db1", parallel_shards_upgrade=0), "parallel_shards_upgrade must be at least 1"),
    (dict(database="db1", database_uid=1), "mutually exclusive"),
    (dict(), "one of the following is required"),
])
def test_bad_options_send_nothing(fake, run, args, text):
    client = fake()
    result = run(args)
    assert result.failed and text in result["msg"]
    assert client.calls == []


def test_discard_options_are_sent_only_as_asked(fake, run):
    client = fake()
    run(dict(database="db1", may_discard_data=True, force_discard=True))
    body = client.bodies[0][0]
    assert body["may_discard_data"] is True and body["force_discard"] is True
    assert "preserve_roles" not in body and "parallel_shards_upgrade" not in body


def test_node_urls_replace_the_addresses(fake, run):
    client = fake()
    result = run(dict(database="db1", node_urls=["https://127.0.0.12:9443/", "https://127.0.0.11:9443",
                                                 "https://127.0.0.11:9443"]), check_mode=True)
    assert result["changed"] is True and sorted(client.node_reads) == ["127.0.0.11", "127.0.0.12"]


def test_node_urls_must_cover_every_node(fake, run):
    client = fake()
    result = run(dict(database="db1", node_urls=["https://127.0.0.11:9443"]))
    assert result.failed and "node_urls lists 1 different URL(s), but the cluster has 2 node(s)" in result["msg"]
    assert client.writes() == [] and client.node_reads == []


# -- two runs upgrading the same database at once (job slices): the server answers 409 while the other's action runs --

def busy(times):
    return [http_error("POST", "/v1/bdbs/1/upgrade", 409, "bdb_busy", "Database 'db1' has an action in progress")
            for dummy in range(times)]


def test_busy_then_upgraded_by_the_other_run_sends_nothing_more(fake, run):
    client = fake()
    client.fail["upgrade_bdb"] = busy(1)
    real_get = client.get_bdb

    def other_run_finished(uid):
        if "upgrade_bdb" in client.calls:
            client.bdb["module_list"] = [client.entry(20000)]  # the concurrent run's upgrade completed meanwhile
        return real_get(uid)
    client.get_bdb = other_run_finished
    result = run(dict(database="db1"), diff=True)
    assert result.rc == 0 and result["changed"] is False, result
    assert client.writes() == ["upgrade_bdb"] and client.bodies == []  # the one POST was refused, none was accepted
    assert result["upgrades"] == [] and versions(result["module_list"]) == [("hello", "2.0.0")]
    assert result["action"] == {"action_uid": None, "status": None, "progress": None, "progress_log": [], "busy_waits": 1}
    assert "get_action" not in client.calls


def test_upgraded_by_another_run_while_the_nodes_were_read_sends_nothing(fake, run):
    client = fake()
    real_get = client.get_bdb
    reads = []

    def other_run_finished(uid):
        reads.append(uid)
        if len(reads) > 1:  # the first read decided; the other run's upgrade completed before the second
            client.bdb["module_list"] = [client.entry(20000)]
        return real_get(uid)
    client.get_bdb = other_run_finished
    result = run(dict(database_uid=1), diff=True)
    assert result.rc == 0 and result["changed"] is False, result
    assert len(reads) == 2 and client.writes() == [] and client.bodies == []
    assert result["upgrades"] == [] and versions(result["module_list"]) == [("hello", "2.0.0")]
    assert result["action"]["busy_waits"] == 0


def test_busy_with_another_action_then_upgrades_itself(fake, run):
    client = fake()
    client.fail["upgrade_bdb"] = busy(2)
    result = run(dict(database="db1"))
    assert result.rc == 0 and result["changed"] is True, result
    assert client.writes() == ["upgrade_bdb"] * 3 and len(client.bodies) == 1
    assert client.calls.count("get_bdb") >= 2  # re-read after each 409, then after the action
    assert result["action"]["busy_waits"] == 2 and result["action"]["status"] == "completed"
    assert versions(result["module_list"]) == [("hello", "2.0.0")]


def test_busy_until_the_timeout_fails_and_says_what_to_do(fake, run):
    client = fake()
    client.fail["upgrade_bdb"] = busy(1000)
    result = run(dict(database="db1", wait_timeout=0))
    assert result.failed and result["changed"] is False
    assert "another action has been running on it for 0 s" in result["msg"] and "Nothing was sent" in result["msg"]
    assert client.bodies == []


@pytest.mark.parametrize("status, still_needed, timed_out, step", [
    (None, True, False, "send"),       # first attempt
    (None, False, False, "done"),      # re-read: another run's upgrade brought it there
    (409, True, False, "wait"),
    (409, True, True, "timeout"),
    (409, False, True, "done"),        # already there: never a timeout, never a second upgrade
    (400, True, False, "fail"),
    (406, True, False, "fail"),
    (404, True, False, "fail"),
])
def test_after_busy(status, still_needed, timed_out, step):
    from ansible_collections.redisops.custom_modules.plugins.module_utils._bdb_upgrade import after_busy
    assert after_busy(status, still_needed, timed_out) == step
