# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_user_module_info through main(), against a fake client."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError
from ansible_collections.redisops.custom_modules.plugins.modules import redis_user_module_info

PASSWORD = "v1ewer-Pa55word"
CONN = dict(url="https://127.0.0.11:9443", username="viewer@redis.test", password=PASSWORD)

MODULES = [
    dict(uid="b1", module_name="search", version=80200, semantic_version="8.2.0", is_bundled=True),
    dict(uid="u2", module_name="hello", version=20000.0, semantic_version="2.0.0", is_bundled=False),
    dict(uid="u1", module_name="hello", version=10000, semantic_version="1.0.0", is_bundled=False),
    dict(uid="u3", module_name="other", version=10000, semantic_version="1.0.0"),
    dict(uid="b2", module_name="ReJSON", version=80200, semantic_version="8.2.0", is_bundled=True),
]


class FakeClient(object):
    def __init__(self, modules=None, error=None):
        self.modules = modules
        self.error = error
        self.calls = []

    def list_modules(self):
        self.calls.append("list_modules")
        if self.error:
            raise self.error
        return [dict(m) for m in self.modules]

    def list_bdbs(self):
        self.calls.append("list_bdbs")
        return [dict(uid=2, name="billing", redis_version="8.2", version="8.2.1", shards_count=1,
                     module_list=[dict(module_id="u1", module_name="hello", semantic_version="1.0.0", module_args="")]),
                dict(uid=1, name="orders", redis_version="8.2", version="8.2.1", module_list=[])]


@pytest.fixture
def client(fake_client):
    return fake_client(FakeClient)(modules=MODULES)


@pytest.fixture
def run(module_runner):
    return module_runner(redis_user_module_info.main, CONN, secret=PASSWORD)


def uids(result):
    return [m["uid"] for m in result["modules"]]


@pytest.mark.parametrize("args, expected", [
    (dict(), ["u1", "u2", "u3"]),
    (dict(include_bundled=True), ["b2", "u1", "u2", "u3", "b1"]),
    (dict(module_name="hello"), ["u1", "u2"]),
    (dict(module_name="hello", version=20000), ["u2"]),
    (dict(version=10000), ["u1", "u3"]),
    (dict(module_name="search"), []),
    (dict(module_name="search", include_bundled=True), ["b1"]),
    (dict(module_name="nope"), []),
])
def test_filters(client, run, args, expected):
    result = run(args)
    assert result["changed"] is False
    assert uids(result) == expected
    assert client.calls == ["list_modules"]


def test_check_mode_is_the_same(client, run):
    assert uids(run(dict(), check_mode=True)) == ["u1", "u2", "u3"]


def test_error(client, run):
    client.error = RedisEnterpriseError("bad credentials", method="GET", path="/v1/modules", status=401)
    result = run(dict())
    assert result.failed and result["status"] == 401 and "GET /v1/modules" in result["msg"]


def test_select_ignores_junk():
    assert redis_user_module_info.select([None, "x", dict(module_name="a", version="junk")]) == [dict(module_name="a", version="junk")]


@pytest.mark.parametrize("name", ["a/../b", "..", "rg x", "rg\x00", "m" * 129])
def test_unsafe_module_name_filter_fails_before_any_request(client, run, name):
    result = run(dict(module_name=name))
    assert result.failed and result["msg"].startswith("module_name: ") and "a module name is one path segment" in result["msg"]
    assert client.calls == []


def test_databases_on_request_only(client, run):
    assert "databases" not in run(dict()) and client.calls == ["list_modules"]
    result = run(dict(databases=True))
    assert client.calls[1:] == ["list_modules", "list_bdbs"]
    assert result["databases"] == [
        dict(uid=1, name="orders", redis_version="8.2", version="8.2.1", module_list=[]),
        dict(uid=2, name="billing", redis_version="8.2", version="8.2.1",
             module_list=[dict(module_id="u1", module_name="hello", semantic_version="1.0.0")])]
    assert uids(result) == ["u1", "u2", "u3"]
