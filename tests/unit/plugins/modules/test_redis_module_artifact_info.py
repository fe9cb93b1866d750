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
