# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_cluster_upload_gate through main(), against a fake client holding the cluster's allow_modules_upload."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.modules import redis_cluster_upload_gate
from tests.unit.plugins.modules.conftest import FakeREST, http_error, warning_texts

PASSWORD = "s3cr3t-Gate-Pa55word"
CONN = dict(url="https://127.0.0.11:9443", username="admin@redis.test", password=PASSWORD)


class FakeClient(FakeREST):
    WRITES = ("set_allow_modules_upload",)

    def __init__(self, allow_upload=False, put_answer=None):
        super(FakeClient, self).__init__(allow_upload)
        self.put_answer = put_answer  # what the PUT answers instead of the updated cluster object

    def set_allow_modules_upload(self, value):
        if "allow_modules_upload" not in self.cluster:
            # What a cluster without the setting (8.0) answers; the module must never get here.
            raise http_error("PUT", "/v1/cluster", 400, "invalid_schema")
        answer = super(FakeClient, self).set_allow_modules_upload(value)
        return answer if self.put_answer is None else self.put_answer


@pytest.fixture(autouse=True)
def warnings_in_result(module_warnings):
    """Every test sees its own warnings only."""


@pytest.fixture
def fake(fake_client):
    return fake_client(FakeClient)


@pytest.fixture
def run(module_runner):
    return module_runner(redis_cluster_upload_gate.main, CONN, secret=PASSWORD)


# setting on the cluster, allowed, check mode -> changed, previous, allowed after, PUT sent
@pytest.mark.parametrize("setting, allowed, check_mode, changed, after, put", [
    (False, True, False, True, True, True),
    (True, False, False, True, False, True),
    (False, True, True, True, True, False),
    (True, False, True, True, False, False),
    (True, True, False, False, True, False),
    (False, False, False, False, False, False),
    (True, True, True, False, True, False),
    (False, False, True, False, False, False),
])
def test_supported_cluster(fake, run, setting, allowed, check_mode, changed, after, put):
    client = fake(allow_upload=setting)
    result = run(dict(allowed=allowed), check_mode=check_mode, diff=True)
    assert result.rc == 0 and not result.failed
    assert result["changed"] is changed
    assert result["previous"] is setting and result["allowed"] is after and result["supported"] is True
    assert result["diff"] == dict(before=dict(allow_modules_upload=setting), after=dict(allow_modules_upload=after))
    assert client.writes() == (["set_allow_modules_upload"] if put else [])
    assert client.calls[0] == "get_cluster"
    # The cluster holds what a real run asked for; check mode and no-ops leave it alone.
    assert client.cluster["allow_modules_upload"] is (allowed if put else setting)
    assert "warnings" not in result


@pytest.mark.parametrize("allowed", [True, False])
@pytest.mark.parametrize("check_mode", [False, True])
def test_cluster_without_the_setting(fake, run, allowed, check_mode):
    client = fake(allow_upload=None)
    result = run(dict(allowed=allowed), check_mode=check_mode, diff=True)
    assert result.rc == 0 and result["changed"] is False
    assert result["supported"] is False and result["previous"] is None and result["allowed"] is None
    assert result["diff"] == dict(before={}, after={})
    assert client.calls == ["get_cluster"]
    if allowed:
        assert "warnings" not in result
    else:
        texts = warning_texts(result)
        assert len(texts) == 1
        assert "no allow_modules_upload setting" in texts[0] and "cannot be made to refuse" in texts[0]


def test_no_diff_unless_asked(fake, run):
    fake(allow_upload=False)
    result = run(dict(allowed=True))
    assert result["changed"] is True and "diff" not in result


def test_allowed_accepts_ansible_booleans(fake, run):
    client = fake(allow_upload=False)
    result = run(dict(allowed="yes"))
    assert result["changed"] is True and result["allowed"] is True
    assert client.cluster["allow_modules_upload"] is True


def test_allowed_is_required(fake, run):
    client = fake()
    result = run(dict())
    assert result.failed and "missing required arguments: allowed" in result["msg"]
    assert client.calls == []


def test_viewer_cannot_change_it(fake, run):
    client = fake(allow_upload=False)
    client.fail["set_allow_modules_upload"] = [http_error("PUT", "/v1/cluster", 403, "insufficient_permissions",
                                                          "Insufficient permissions")]
    result = run(dict(allowed=True))
    assert result.failed and result["status"] == 403 and result["error_code"] == "insufficient_permissions"
    assert result["method"] == "PUT" and result["path"] == "/v1/cluster"
    assert result["msg"].startswith("PUT /v1/cluster: HTTP 403 insufficient_permissions: Insufficient permissions.")
    assert "update_cluster" in result["msg"] and "admin role" in result["msg"]
    assert client.cluster["allow_modules_upload"] is False


def test_viewer_with_nothing_to_change_succeeds(fake, run):
    # GET /v1/cluster is open to every role: no PUT, so no permission problem.
    client = fake(allow_upload=True)
    client.fail["set_allow_modules_upload"] = [http_error("PUT", "/v1/cluster", 403, "insufficient_permissions")]
    result = run(dict(allowed=True))
    assert not result.failed and result["changed"] is False and client.writes() == []


def test_read_failure(fake, run):
    client = fake(allow_upload=False)
    client.fail["get_cluster"] = [http_error("GET", "/v1/cluster", 401, description="Unauthorized")]
    result = run(dict(allowed=True))
    assert result.failed and result["status"] == 401 and "username and password" in result["msg"]
    assert client.writes() == []


def test_put_failure_is_reported(fake, run):
    client = fake(allow_upload=False)
    client.fail["set_allow_modules_upload"] = [http_error("PUT", "/v1/cluster", 400, "config_edit_conflict",
                                                          "Cluster configuration is being edited")]
    result = run(dict(allowed=True))
    assert result.failed and result["status"] == 400 and result["error_code"] == "config_edit_conflict"
    assert "Cluster configuration is being edited" in result["msg"]


def test_put_answer_with_another_value_fails(fake, run):
    client = fake(allow_upload=False, put_answer={"name": "c1", "allow_modules_upload": False})
    result = run(dict(allowed=True))
    assert result.failed
    assert "still reports allow_modules_upload: false" in result["msg"] and "run the task again" in result["msg"]
    assert result["previous"] is False and result["allowed"] is False
    assert client.writes() == ["set_allow_modules_upload"]


def test_put_answer_without_the_setting_is_taken_at_its_word(fake, run):
    fake(allow_upload=False, put_answer={})
    result = run(dict(allowed=True))
    assert not result.failed and result["changed"] is True and result["allowed"] is True
