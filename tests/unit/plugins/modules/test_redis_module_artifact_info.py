# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_module_artifact_info through main(), against a fake of one node's artifact list."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, hint_for
from ansible_collections.redisops.custom_modules.plugins.modules import redis_module_artifact_info

PASSWORD = "s3cr3t-Pa55word"
CONN = dict(url="https://127.0.0.11:9443", username="viewer@redis.test", password=PASSWORD)
LISTED = [
    dict(module_name="hello", version=20000, dependencies=[]),
    dict(module_name="other", version=100, dependencies=["dep"]),
    dict(module_name="hello", version=10000, dependencies=[]),
]


class FakeNode(object):
    def __init__(self, artifacts=None, error=None):
        self.artifacts = artifacts if artifacts is not None else list(LISTED)
        self.error = error
        self.calls = []

    def list_artifacts(self):
        self.calls.append("list_artifacts")
        if self.error:
            raise self.error
        return [dict(a) for a in self.artifacts]


@pytest.fixture
def fake(fake_client):
    return fake_client(FakeNode)


@pytest.fixture
def run(module_runner):
    return module_runner(redis_module_artifact_info.main, CONN)


@pytest.mark.parametrize("filters, expected", [
    (dict(), [("hello", 10000), ("hello", 20000), ("other", 100)]),
    (dict(module_name="hello"), [("hello", 10000), ("hello", 20000)]),
    (dict(module_name="hello", version=20000), [("hello", 20000)]),
    (dict(version=100), [("other", 100)]),
    (dict(module_name="nope"), []),
])
def test_filters_and_order(fake, run, filters, expected):
    client = fake()
    result = run(filters)
    assert result["changed"] is False
    assert [(a["module_name"], a["version"]) for a in result["artifacts"]] == expected
    assert client.calls == ["list_artifacts"]


def test_check_mode_reads_the_same(fake, run):
    fake()
    result = run(dict(module_name="hello"), check_mode=True)
    assert result["changed"] is False and len(result["artifacts"]) == 2


def test_empty_node(fake, run):
    fake(artifacts=[])
    assert run(dict())["artifacts"] == []


def test_http_error_fails_cleanly(fake, run):
    path = "/v2/local/modules/user-defined/artifacts"
    fake(error=RedisEnterpriseError("Unauthorized", method="GET", path=path, status=401,
                                    hint=hint_for("GET", path, 401)))
    result = run(dict())
    assert result.failed and result["status"] == 401 and "credentials" in result["msg"]
    assert PASSWORD not in result.raw and "Traceback" not in result.raw


@pytest.mark.parametrize("name", ["a/../b", "..", "rg x", "rg\x00", "m" * 129])
def test_unsafe_module_name_filter_fails_before_any_request(fake, run, name):
    client = fake()
    result = run(dict(module_name=name))
    assert result.failed and result["msg"].startswith("module_name: ") and "a module name is one path segment" in result["msg"]
    assert client.calls == []


class FakeCluster(FakeNode):
    """One node's client that also lists the cluster's nodes and makes clients for the others (for_url)."""

    def __init__(self, nodes, listings, errors=None):
        FakeNode.__init__(self)
        self.base_url = CONN["url"]
        self.nodes = nodes
        self.listings = listings
        self.errors = errors or {}
        self.opened = []

    def list_nodes(self):
        self.calls.append("list_nodes")
        return [dict(n) for n in self.nodes]

    def node_url(self, address):
        return "https://%s:9443" % address

    def for_url(self, url):
        self.opened.append(url)
        host = url.split("//")[1].rsplit(":", 1)[0]
        node = FakeNode(self.listings.get(host, []), self.errors.get(host))
        node.close = lambda: None
        return node

    def close(self):
        pass


NODES = [dict(uid=1, addr="127.0.0.11"), dict(uid=2, addr="127.0.0.12", external_addr=["node2.example.com"]),
         dict(uid=3, addr="127.0.0.13")]


@pytest.mark.parametrize("skip, read", [
    ([], ["127.0.0.11", "127.0.0.12", "127.0.0.13"]),
    (["https://127.0.0.11:9443"], ["127.0.0.12", "127.0.0.13"]),
    (["NODE2.example.com", "127.0.0.13"], ["127.0.0.11"]),
    (["https://node2.example.com:9443/"], ["127.0.0.11", "127.0.0.13"]),
])
def test_cluster_nodes_reads_every_node_not_skipped(fake_client, run, skip, read):
    client = fake_client(FakeCluster)(nodes=NODES, listings={"127.0.0.12": [dict(module_name="hello", version=20000)]})
    result = run(dict(cluster_nodes=True, skip_nodes=skip))
    assert result["changed"] is False
    assert client.opened == ["https://%s:9443" % host for host in read]
    by_addr = dict((n["addr"], n) for n in result["nodes"])
    assert [n["uid"] for n in result["nodes"]] == [1, 2, 3]
    for addr, node in by_addr.items():
        assert node["url"] == "https://%s:9443" % addr
        assert node["skipped"] is (addr not in read)
        assert node["error"] is None
        if addr in read:
            assert node["artifacts"] == ([dict(module_name="hello", version=20000)] if addr == "127.0.0.12" else [])
        else:
            assert node["artifacts"] is None


def test_cluster_nodes_reports_an_unreadable_node_without_failing(fake_client, run):
    down = RedisEnterpriseError("cannot connect to https://127.0.0.13:9443: Connection refused")
    fake_client(FakeCluster)(nodes=NODES + [dict(uid=4)], listings={}, errors={"127.0.0.13": down})
    result = run(dict(cluster_nodes=True, module_name="hello"))
    assert "failed" not in result or not result["failed"]
    nodes = dict((n["uid"], n) for n in result["nodes"])
    assert nodes[3]["artifacts"] is None and "Connection refused" in nodes[3]["error"]
    assert nodes[4]["url"] is None and "no address" in nodes[4]["error"]
    assert nodes[1]["artifacts"] == [] and nodes[1]["error"] is None


def test_without_cluster_nodes_no_node_listing(fake, run):
    client = fake()
    result = run(dict())
    assert "nodes" not in result and client.calls == ["list_artifacts"]
