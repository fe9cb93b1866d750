# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_module_artifact through main(), against an in-memory fake of one node's REST API.

The fake keeps the node's artifact list, the cluster's nodes and allow_modules_upload, and a call
log, so every test asserts both the result and what was (not) sent. Packages are the real test
module packages (the `testmodules` fixture) plus a few broken zips made here.
"""

import copy
import os
import json
import zipfile

import pytest

from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.common import warnings as _warnings
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError
from ansible_collections.redisops.custom_modules.plugins.modules import redis_module_artifact
from tests.unit.plugins.modules.conftest import FakeREST, http_error, warning_texts
from tests.pytest_testmodules import repack

PASSWORD = "s3cr3t-Pa55word"
URL = "https://127.0.0.11:9443"
CONN = dict(url=URL, username="admin@redis.test", password=PASSWORD)
WRITES = ("upload_artifact", "delete_artifact", "set_allow_modules_upload")
ARTIFACTS_PATH = "/v2/local/modules/user-defined/artifacts"


REDIS_VERSIONS = ["7.2", "7.4", "8.0", "8.2"]


def node(uid, addr, os_family="ubuntu", os_version="22.04", arch="x86_64", redis_versions=tuple(REDIS_VERSIONS)):
    # supported_database_versions in the format of real 8.x nodes (memcached included)
    supported = [dict(db_type="redis", major=True, redis_version=v, version=v + ".1") for v in redis_versions]
    supported.append(dict(db_type="memcached", version="1.4.17"))
    return dict(uid=uid, addr=addr, external_addr=[], os_family=os_family, os_semantic_version=os_version,
                os_version="%s %s" % (os_family, os_version), architecture=arch, supported_database_versions=supported)


def three_nodes(**overrides):
    nodes = [node(1, "127.0.0.11"), node(2, "127.0.0.12"), node(3, "127.0.0.13")]
    nodes[0].update(overrides)
    return nodes


class FakeNode(FakeREST):
    """One node's API: GET/POST/DELETE artifacts, GET /v1/nodes, GET/PUT /v1/cluster."""

    base_url = URL
    WRITES = WRITES

    def __init__(self, artifacts=None, nodes=None, allow_upload=True, upload_lists=True):
        super(FakeNode, self).__init__(allow_upload)
        self.artifacts = [copy.deepcopy(a) for a in artifacts or []]
        self.nodes = nodes if nodes is not None else three_nodes()
        self.upload_lists = upload_lists
        self.uploaded_paths = []

    def list_artifacts(self):
        self._call("list_artifacts")
        return copy.deepcopy(self.artifacts)

    def list_nodes(self):
        self._call("list_nodes")
        return copy.deepcopy(self.nodes)

    def upload_artifact(self, path):
        self._call("upload_artifact")
        if self.cluster.get("allow_modules_upload") is False:
            raise http_error("POST", ARTIFACTS_PATH, 403, "modules_upload_disabled")
        self.uploaded_paths.append(path)
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("module.json"))
        entry = dict(module_name=meta["module_name"], version=int(float(meta["version"])), dependencies=[])
        if self.upload_lists:
            self.artifacts = [a for a in self.artifacts
                              if (a["module_name"], a["version"]) != (entry["module_name"], entry["version"])] + [entry]

    def delete_artifact(self, module_name, version):
        self._call("delete_artifact")
        for entry in self.artifacts:
            if (entry["module_name"], entry["version"]) == (module_name, version):
                self.artifacts.remove(entry)
                return None
        raise http_error("DELETE", "%s/%s/%s" % (ARTIFACTS_PATH, module_name, version), 404, "module_not_found")


HELLO1 = dict(module_name="hello", version=10000, dependencies=[])
HELLO2 = dict(module_name="hello", version=20000, dependencies=[])


@pytest.fixture(autouse=True)
def no_leftover_warnings(monkeypatch):
    """ansible-core keeps module warnings in a process-wide registry: start each test empty.

    Once controller code is imported in the same process (the action plugin tests), module warnings
    go to the controller's display instead of the result: make them module warnings again.
    """
    monkeypatch.setattr(_warnings, "_global_warnings", {})
    monkeypatch.setattr(_module_utils_internal, "is_controller", False)


@pytest.fixture
def fake(fake_client):
    return fake_client(FakeNode)


@pytest.fixture
def run(module_runner):
    return module_runner(redis_module_artifact.main, CONN)


@pytest.fixture
def v1(testmodules):
    return testmodules.v1["path"]


def facts(**overrides):
    data = dict(module_name="hello", version=10000, semantic_version="1.0.0", architecture="x86_64",
                operating_systems=["rhel9", "ubuntu22"], dependencies=[], module_file="hello.so")
    data.update(overrides)
    return data


# -- state=present ------------------------------------------------------------------------------

def test_present_uploads_when_not_listed(fake, run, v1):
    client = fake(artifacts=[HELLO2])
    result = run(dict(src=v1, remote_src=True))
    assert not result.failed, result
    assert result["changed"] is True and result["uploaded"] is True
    assert result["artifact"] == dict(module_name="hello", version=10000, semantic_version="1.0.0")
    assert HELLO1 in result["artifacts"] and HELLO2 in result["artifacts"]
    assert result["node"] == dict(uid=1, addr="127.0.0.11", os="ubuntu22", architecture="x86_64", redis_versions=REDIS_VERSIONS)
    assert client.writes() == ["upload_artifact"]
    assert client.uploaded_paths == [v1]
    assert result["allow_modules_upload_changed"] is False and result["allow_modules_upload_before"] is True
    assert PASSWORD not in result.raw


def test_present_listed_changes_nothing_and_reads_nothing_else(fake, run, v1):
    client = fake(artifacts=[HELLO1])
    result = run(dict(src=v1))
    assert result["changed"] is False and result["uploaded"] is False
    assert result["node"] == {}
    assert result["allow_modules_upload_before"] is None
    assert client.calls == ["list_artifacts"]


def test_present_force_reuploads(fake, run, v1):
    client = fake(artifacts=[HELLO1])
    result = run(dict(src=v1, force=True))
    assert result["changed"] is True and result["uploaded"] is True
    assert client.writes() == ["upload_artifact"]


@pytest.mark.parametrize("listed", [True, False])
def test_present_check_mode_writes_nothing(fake, run, v1, listed):
    client = fake(artifacts=[HELLO1] if listed else [])
    result = run(dict(src=v1), check_mode=True, diff=True)
    assert result["changed"] is (not listed)
    assert result["uploaded"] is (not listed)
    assert client.writes() == []
    assert [a["version"] for a in result["artifacts"]] == [10000]
    if listed:
        assert result["diff"]["before"] == result["diff"]["after"] == HELLO1
    else:
        assert result["diff"]["before"] == {} and result["diff"]["after"] == HELLO1
        assert "hello 1.0.0 (version 10000)" in result["diff"]["after_header"]


def test_present_diff_after_real_upload(fake, run, v1):
    fake()
    result = run(dict(src=v1), diff=True)
    assert result["diff"]["before"] == {} and result["diff"]["after"] == HELLO1


def test_malformed_package_fails_before_any_request(fake, run, tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"this is not a zip")
    client = fake()
    result = run(dict(src=str(bad)))
    assert result.failed
    assert "invalid module package" in result["msg"] and str(bad) in result["msg"] and "not a zip" in result["msg"]
    assert client.calls == []


def test_package_without_module_json(fake, run, tmp_path):
    bad = tmp_path / "nometa.zip"
    with zipfile.ZipFile(str(bad), "w") as archive:
        archive.writestr("hello.so", b"\x7fELF")
    client = fake()
    result = run(dict(src=str(bad)))
    assert result.failed and "module.json" in result["msg"]
    assert client.calls == []


def test_wrong_architecture_fails_before_upload(fake, run, testmodules):
    package = testmodules.require_aarch64()
    client = fake()
    result = run(dict(src=package["path"]))
    assert result.failed
    assert "node 1 (127.0.0.11)" in result["msg"]
    assert "aarch64" in result["msg"] and "x86_64" in result["msg"]
    assert "Nothing was uploaded" in result["msg"]
    assert result["node"]["architecture"] == "x86_64"
    assert client.writes() == []


def test_wrong_os_fails_before_upload(fake, run, testmodules):
    client = fake()
    result = run(dict(src=testmodules.rhel8["path"]))
    assert result.failed
    assert "rhel8" in result["msg"] and "ubuntu22" in result["msg"] and "node 1" in result["msg"]
    assert client.writes() == []


def test_wrong_os_reported_in_check_mode(fake, run, testmodules):
    client = fake()
    result = run(dict(src=testmodules.rhel8["path"]), check_mode=True)
    assert result.failed and "rhel8" in result["msg"]
    assert client.writes() == []


def test_check_node_false_skips_the_comparison(fake, run, testmodules):
    client = fake()
    result = run(dict(src=testmodules.rhel8["path"], check_node=False))
    assert result["changed"] is True
    assert "list_nodes" not in client.calls
    assert result["node"] == {}


def test_unidentified_node_uses_uniform_cluster(fake, run, v1, monkeypatch):
    nodes = [node(1, "10.0.0.1"), node(2, "10.0.0.2")]
    client = fake(nodes=nodes)
    result = run(dict(src=v1))
    assert result["changed"] is True
    assert result["node"] == dict(uid=None, addr=None, os="ubuntu22", architecture="x86_64", redis_versions=REDIS_VERSIONS)
    assert client.writes() == ["upload_artifact"]


def test_unidentified_node_uniform_mismatch_fails(fake, run, testmodules):
    fake(nodes=[node(1, "10.0.0.1", os_family="rhel", os_version="9.4")])
    result = run(dict(src=testmodules.rhel8["path"]))
    assert result.failed and "the nodes of the cluster" in result["msg"]


def test_unidentified_node_mixed_cluster_warns_and_uploads(fake, run, v1):
    nodes = [node(1, "10.0.0.1"), node(2, "10.0.0.2", os_family="rhel", os_version="9.4")]
    client = fake(nodes=nodes)
    result = run(dict(src=v1))
    assert result["changed"] is True
    assert any("cannot tell which node" in str(w) for w in result["warnings"]), result["warnings"]
    assert PASSWORD not in result.raw
    assert client.writes() == ["upload_artifact"]


def test_node_matched_by_external_address(fake, run, v1):
    nodes = [node(1, "10.0.0.1"), node(2, "10.0.0.2", os_family="rhel", os_version="9.4")]
    nodes[1]["external_addr"] = ["127.0.0.11"]
    fake(nodes=nodes)
    result = run(dict(src=v1))
    assert result["node"]["uid"] == 2 and result["node"]["os"] == "rhel9"


def test_uploads_disabled_without_allow_uploads_fails_before_upload(fake, run, v1):
    client = fake(allow_upload=False)
    result = run(dict(src=v1))
    assert result.failed
    assert "allow_uploads: true" in result["msg"] and result["error_code"] == "modules_upload_disabled"
    assert result["allow_modules_upload_changed"] is False and result["allow_modules_upload_before"] is False
    assert client.writes() == []


def test_uploads_disabled_with_allow_uploads_enables_then_uploads(fake, run, v1):
    client = fake(allow_upload=False)
    result = run(dict(src=v1, allow_uploads=True))
    assert result["changed"] is True
    assert result["allow_modules_upload_changed"] is True and result["allow_modules_upload_before"] is False
    assert client.writes() == ["set_allow_modules_upload", "upload_artifact"]


def test_uploads_disabled_check_mode_predicts_enabling(fake, run, v1):
    client = fake(allow_upload=False)
    result = run(dict(src=v1, allow_uploads=True), check_mode=True)
    assert result["changed"] is True and result["allow_modules_upload_changed"] is True
    assert client.writes() == []


def test_allow_uploads_not_touched_when_nothing_to_upload(fake, run, v1):
    client = fake(artifacts=[HELLO1], allow_upload=False)
    result = run(dict(src=v1, allow_uploads=True))
    assert result["changed"] is False and result["allow_modules_upload_changed"] is False
    assert client.calls == ["list_artifacts"]


def test_403_upload_disabled_on_cluster_without_flag_retries_once(fake, run, v1):
    client = fake(allow_upload=None)
    client.fail["upload_artifact"] = [http_error("POST", ARTIFACTS_PATH, 403, "modules_upload_disabled")]
    result = run(dict(src=v1, allow_uploads=True))
    assert result["changed"] is True and result["allow_modules_upload_changed"] is True
    assert result["allow_modules_upload_before"] is None
    assert client.writes() == ["upload_artifact", "set_allow_modules_upload", "upload_artifact"]


def test_403_upload_disabled_without_allow_uploads_fails_with_hint(fake, run, v1):
    client = fake(allow_upload=None)
    client.fail["upload_artifact"] = [http_error("POST", ARTIFACTS_PATH, 403, "modules_upload_disabled")]
    result = run(dict(src=v1))
    assert result.failed and result["status"] == 403
    assert "allow_uploads" in result["msg"]
    assert client.writes() == ["upload_artifact"]


def test_403_role_fails(fake, run, v1):
    client = fake()
    client.fail["upload_artifact"] = [http_error("POST", ARTIFACTS_PATH, 403, "insufficient_permissions")]
    result = run(dict(src=v1))
    assert result.failed and "manage_cluster_modules" in result["msg"]


def test_401_fails_without_leaking_the_password(fake, run, v1):
    client = fake()
    client.fail["list_artifacts"] = [http_error("GET", ARTIFACTS_PATH, 401, None, "Unauthorized")]
    result = run(dict(src=v1))
    assert result.failed and result["status"] == 401 and "credentials" in result["msg"]
    assert PASSWORD not in result.raw
    assert client.writes() == []


def test_connection_broken_mid_upload(fake, run, v1):
    client = fake()
    client.fail["upload_artifact"] = [RedisEnterpriseError(
        "connection to %s broke: Connection reset by peer" % URL, method="POST", path=ARTIFACTS_PATH,
        hint="The connection broke after the request was sent")]
    result = run(dict(src=v1))
    assert result.failed and "broke" in result["msg"]
    assert "Traceback" not in result.raw
    assert client.artifacts == []


def test_upload_accepted_but_not_listed_fails(fake, run, v1):
    fake(upload_lists=False)
    result = run(dict(src=v1))
    assert result.failed and "does not list it afterwards" in result["msg"]
    assert result["uploaded"] is True


# -- the action plugin's probe (_package) -------------------------------------------------------

def test_probe_not_listed_asks_for_the_file(fake, run):
    client = fake()
    result = run(dict(_package=facts()))
    assert result["changed"] is False and result["upload_required"] is True
    assert result["node"]["uid"] == 1
    assert client.writes() == []


def test_probe_listed_is_the_final_answer(fake, run):
    client = fake(artifacts=[HELLO1])
    result = run(dict(_package=facts()))
    assert result["changed"] is False and "upload_required" not in result
    assert client.calls == ["list_artifacts"]


def test_probe_check_mode_predicts(fake, run):
    client = fake()
    result = run(dict(_package=facts()), check_mode=True)
    assert result["changed"] is True and "upload_required" not in result
    assert client.writes() == []


def test_probe_does_not_enable_uploads(fake, run):
    client = fake(allow_upload=False)
    result = run(dict(_package=facts(), allow_uploads=True))
    assert result["upload_required"] is True and result["allow_modules_upload_changed"] is False
    assert client.writes() == []


def test_probe_checks_the_node(fake, run):
    client = fake()
    result = run(dict(_package=facts(architecture="aarch64")))
    assert result.failed and "aarch64" in result["msg"]
    assert client.writes() == []


def test_probe_with_incomplete_facts_fails(fake, run):
    fake()
    result = run(dict(_package=dict(module_name="hello")))
    assert result.failed and "_package is missing version" in result["msg"]


# -- Redis-version fit (part of check_node) ------------------------------------------------------


@pytest.mark.parametrize("check_mode", [False, True])
def test_redis_version_misfit_fails_before_upload(fake, run, v1, tmp_path, check_mode):
    client = fake(allow_upload=False)
    package = repack(v1, tmp_path / "old.zip", compatible_redis_version="6.2", min_redis_version="6.0")
    result = run(dict(src=package, allow_uploads=True), check_mode=check_mode)
    assert result.failed
    msg = result["msg"]
    assert msg.startswith("node 1 (127.0.0.11) cannot run hello 1.0.0 (version 10000)")
    assert 'compatible_redis_version "6.2", min_redis_version "6.0"' in msg and "7.2, 7.4, 8.0, 8.2" in msg
    assert "Nothing was uploaded" in msg and "check_node: false" in msg
    assert result["node"]["redis_versions"] == REDIS_VERSIONS
    assert len(result["problems"]) == 1 and "fits none of the Redis database versions node 1" in result["problems"][0]
    assert client.writes() == [] and "get_cluster" not in client.calls


def test_redis_version_uses_this_nodes_versions(fake, run, v1):
    # hello is built for Redis 8.2: node 1 (this one) offers up to 8.0, node 2 offers 8.2
    client = fake(nodes=[node(1, "127.0.0.11", redis_versions=("7.4", "8.0")), node(2, "127.0.0.12")])
    result = run(dict(src=v1))
    assert result.failed and "fits none of the Redis database versions node 1 (127.0.0.11) offers (7.4, 8.0)" in result["msg"]
    assert "upgrade the cluster to a Redis Enterprise release that offers Redis 8.2" in result["msg"]
    assert client.writes() == []


def test_redis_version_unidentified_node_uses_every_nodes_versions(fake, run, v1, tmp_path):
    client = fake(nodes=[node(1, "10.0.0.1", redis_versions=("7.4", "8.0")), node(2, "10.0.0.2", redis_versions=("8.0", "8.2"))])
    result = run(dict(src=v1))
    assert result["changed"] is True and client.writes() == ["upload_artifact"]
    assert result["node"]["uid"] is None and result["node"]["redis_versions"] == ["7.4", "8.0", "8.2"]
    result = run(dict(src=repack(v1, tmp_path / "p.zip", compatible_redis_version="7.2"), force=True))
    assert result.failed and "the cluster at https://127.0.0.11:9443 offers (7.4, 8.0, 8.2)" in result["msg"]


@pytest.mark.parametrize("fields", [
    dict(compatible_redis_version="7.4", min_redis_version="4.0"),       # ramp pack's defaults
    dict(compatible_redis_version="", min_redis_version="7.0"),
    dict(compatible_redis_version=None, min_redis_version=""),           # nothing to judge by: no failure, no warning
])
def test_redis_version_fits_or_unknown_uploads(fake, run, v1, tmp_path, fields):
    client = fake()
    result = run(dict(src=repack(v1, tmp_path / "p.zip", **fields)))
    assert result["changed"] is True and client.writes() == ["upload_artifact"]
    assert not [w for w in result.get("warnings") or [] if "redis" in str(w).lower()]


def test_node_without_versions_is_not_refused(fake, run, v1, tmp_path):
    bare = node(1, "127.0.0.11")
    del bare["supported_database_versions"]
    client = fake(nodes=[bare])
    result = run(dict(src=repack(v1, tmp_path / "p.zip", compatible_redis_version="6.2")))
    assert result["changed"] is True and result["node"]["redis_versions"] == [] and client.writes() == ["upload_artifact"]


def test_redis_version_check_node_false_skips(fake, run, v1, tmp_path):
    client = fake()
    result = run(dict(src=repack(v1, tmp_path / "p.zip", compatible_redis_version="6.2"), check_node=False))
    assert result["changed"] is True and "list_nodes" not in client.calls


def test_redis_version_listed_artifact_is_not_checked(fake, run, v1, tmp_path):
    client = fake(artifacts=[HELLO1])
    result = run(dict(src=repack(v1, tmp_path / "p.zip", compatible_redis_version="6.2")))
    assert result["changed"] is False and client.calls == ["list_artifacts"]


def test_probe_checks_the_redis_version(fake, run):
    client = fake()
    result = run(dict(_package=facts(compatible_redis_version="6.2", min_redis_version="6.0")))
    assert result.failed and 'compatible_redis_version "6.2"' in result["msg"] and client.writes() == []
    result = run(dict(_package=facts(compatible_redis_version="8.2", min_redis_version="7.0")))
    assert result["upload_required"] is True


# -- state=absent -------------------------------------------------------------------------------

def test_absent_deletes(fake, run):
    client = fake(artifacts=[HELLO1, HELLO2])
    result = run(dict(state="absent", module_name="hello", version=10000), diff=True)
    assert result["changed"] is True
    assert result["artifacts"] == [HELLO2]
    assert result["artifact"] == dict(module_name="hello", version=10000)
    assert result["diff"]["before"] == HELLO1 and result["diff"]["after"] == {}
    assert client.writes() == ["delete_artifact"]


def test_absent_already_absent(fake, run):
    client = fake(artifacts=[HELLO2])
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result["changed"] is False
    assert client.writes() == []


def test_absent_check_mode(fake, run):
    client = fake(artifacts=[HELLO1])
    result = run(dict(state="absent", module_name="hello", version=10000), check_mode=True)
    assert result["changed"] is True and result["artifacts"] == []
    assert client.writes() == []


def test_absent_by_package(fake, run, testmodules):
    client = fake(artifacts=[HELLO1, HELLO2])
    result = run(dict(state="absent", src=testmodules.v2["path"], remote_src=True))
    assert result["changed"] is True and result["artifacts"] == [HELLO1]
    assert result["artifact"]["semantic_version"] == "2.0.0"
    assert "list_nodes" not in client.calls


def test_absent_deleted_meanwhile_is_fine(fake, run, monkeypatch):
    client = fake(artifacts=[HELLO1])

    def concurrent_delete(name, version):
        client.artifacts = []
        raise http_error("DELETE", ARTIFACTS_PATH + "/hello/10000", 404, "module_not_found")

    monkeypatch.setattr(client, "delete_artifact", concurrent_delete)
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert not result.failed and result["artifacts"] == []


def test_absent_in_use_fails(fake, run):
    client = fake(artifacts=[HELLO1])
    client.fail["delete_artifact"] = [http_error("DELETE", ARTIFACTS_PATH + "/hello/10000", 406, "module_in_use")]
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result.failed and result["error_code"] == "module_in_use"
    assert client.artifacts == [HELLO1]


def test_absent_still_listed_fails(fake, run, monkeypatch):
    client = fake(artifacts=[HELLO1])
    monkeypatch.setattr(client, "delete_artifact", lambda name, version: client.calls.append("delete_artifact"))
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result.failed and "still lists it" in result["msg"]


# -- argument validation ------------------------------------------------------------------------

@pytest.mark.parametrize("args, text", [
    (dict(), "state=present needs src"),
    (dict(module_name="hello", version=10000), "only used with state=absent"),
    (dict(state="absent"), "needs module_name and version, or src"),
    (dict(state="absent", module_name="hello"), "parameters are required together"),
    (dict(state="absent", module_name="hello", version=1, src="/x.zip"), "mutually exclusive"),
])
def test_invalid_arguments(fake, run, args, text):
    client = fake()
    result = run(args)
    assert result.failed and text in result["msg"], result
    assert client.calls == []


# -- module names: refused before any request ---------------------------------------------------

BAD_NAMES = ["a/../b", "..", "rg x", "rg\x00", "m" * 129]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_module_name_option_fails_before_any_request(fake, run, name):
    client = fake(artifacts=[HELLO1])
    result = run(dict(state="absent", module_name=name, version=10000))
    assert result.failed and result["msg"].startswith("module_name: ") and "a module name is one path segment" in result["msg"]
    assert "Nothing was sent" in result["msg"]
    assert client.calls == []


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_package_facts_name_fails_before_any_request(fake, run, name):
    client = fake()
    result = run(dict(_package=facts(module_name=name)))
    assert result.failed and "_package module_name: " in result["msg"]
    assert client.calls == []


# -- the cluster's module_upload_max_size_mb (reported by a real 8.0 cluster, not documented) ---------------------

@pytest.mark.parametrize("limit_bytes, warned", [(None, False), (0, False), (1, True)])
def test_warns_before_uploading_a_package_larger_than_the_cluster_setting(fake, run, v1, limit_bytes, warned):
    client = fake(artifacts=[])
    size = os.path.getsize(v1)
    if limit_bytes is not None:
        # a limit just under the package (in MB of 1,048,576 bytes), or far above it
        client.cluster["module_upload_max_size_mb"] = (size - limit_bytes) / 1048576.0 if limit_bytes else 40
    result = run(dict(src=v1, remote_src=True))
    assert not result.failed and result["changed"] is True and client.writes() == ["upload_artifact"]
    warnings = [w for w in warning_texts(result) if "module_upload_max_size_mb" in w]
    assert bool(warnings) is warned, result.get("warnings")
    if warned:
        assert "hello 1.0.0 (version 10000)" in warnings[0] and "PUT /v1/cluster" in warnings[0]


def test_probe_warns_from_the_size_the_controller_measured(fake, run):
    client = fake(artifacts=[])
    client.cluster["module_upload_max_size_mb"] = 40
    result = run(dict(_package=facts(size=45 * 1048576)), check_mode=True)
    assert result["changed"] is True and client.writes() == []
    assert any("is 45.0 MB, larger than module_upload_max_size_mb (40 MB)" in w for w in warning_texts(result)), result


def test_a_refused_upload_larger_than_the_setting_names_it(fake, run, v1):
    client = fake(artifacts=[])
    size = os.path.getsize(v1)
    client.cluster["module_upload_max_size_mb"] = 0.001
    client.fail["upload_artifact"] = [http_error("POST", ARTIFACTS_PATH, 400, "module_too_large", "too big")]
    result = run(dict(src=v1, remote_src=True))
    assert result.failed and result["status"] == 400 and result["error_code"] == "module_too_large"
    assert ("The package is %.1f MB and the cluster's module_upload_max_size_mb is 0.001 MB" % (size / 1048576.0)) in result["msg"]
    assert 'PUT /v1/cluster {"module_upload_max_size_mb": 1}' in result["msg"]
    assert "too big" in result["msg"] and result["hint"].startswith("The package is")
    # a refusal of a package within the setting gets no such hint
    client = fake(artifacts=[])
    client.fail["upload_artifact"] = [http_error("POST", ARTIFACTS_PATH, 400, "module_too_large", "too big")]
    result = run(dict(src=v1, remote_src=True))
    assert result.failed and "module_upload_max_size_mb" not in result["msg"]
