# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_user_module through main(), against an in-memory fake of the REST client.

The fake keeps the cluster's state (module objects, databases, allow_modules_upload) and a call log,
so every test can assert both the result and what was (not) written.
"""

import copy

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError
from ansible_collections.redisops.custom_modules.plugins.modules import redis_user_module
from tests.unit.plugins.modules.conftest import FakeREST, http_error, warning_texts

PASSWORD = "s3cr3t-Pa55word"
CONN = dict(url="https://127.0.0.11:9443", username="admin@redis.test", password=PASSWORD)
WRITES = ("create_user_module", "delete_user_module", "set_allow_modules_upload")

HELLO = dict(
    module_name="hello", version=10000, semantic_version="1.0.0", display_name="Hello",
    author="redisops", description="greets", command_line_args="", min_redis_version="7.0",
    compatible_redis_version="8.2", capabilities=["types", "replica_of", "backup_restore"],
    commands=[dict(command_name="hello.greet", command_arity=-1, first_key=0, last_key=0, step=0, flags=["readonly"])],
    dependencies={}, crdb={"supported_featureset_versions": [1]}, operating_systems=["ubuntu22"],
)
BUNDLED = dict(uid="b1", module_name="search", version=80200, semantic_version="8.2.0", is_bundled=True)


def server_object(metadata, uid="7e9f0c2a1b3d4e5f60718293a4b5c6d7"):
    """What GET /v1/modules shows for created metadata: no commands, rewritten crdb/dependencies."""
    obj = dict((k, v) for k, v in metadata.items() if k not in ("commands", "operating_systems"))
    obj.update(uid=uid, is_bundled=False, crdb={}, dependencies={}, version=int(float(metadata["version"])))
    return obj


def redis_node(uid, *versions):
    """A GET /v1/nodes entry offering these Redis versions, in the format of real 8.x nodes."""
    entries = [dict(db_type="redis", major=True, redis_version=v, version=v + ".0") for v in versions]
    entries.append(dict(db_type="memcached", version="1.4.17"))
    return dict(uid=uid, addr="127.0.0.%d" % (10 + uid), supported_database_versions=entries)


CLUSTER_VERSIONS = ("7.2", "7.4", "8.0", "8.2")


class FakeClient(FakeREST):
    WRITES = WRITES
    base_url = CONN["url"]

    def __init__(self, modules=None, bdbs=None, allow_upload=True, nodes=None):
        super(FakeClient, self).__init__(allow_upload)
        self.nodes = nodes if nodes is not None else [redis_node(1, *CLUSTER_VERSIONS), redis_node(2, *CLUSTER_VERSIONS)]
        self.modules = [copy.deepcopy(BUNDLED)] + [copy.deepcopy(m) for m in modules or []]
        self.bdbs = list(bdbs or [])
        self.on_create = None  # hook run before a create, e.g. to simulate a concurrent writer
        self.on_delete = None
        self.uids = 0

    def list_modules(self):
        self._call("list_modules")
        return copy.deepcopy(self.modules)

    def list_nodes(self):
        self._call("list_nodes")
        return copy.deepcopy(self.nodes)

    def list_bdbs(self):
        self._call("list_bdbs")
        return copy.deepcopy(self.bdbs)

    def create_user_module(self, metadata):
        if self.on_create:
            hook, self.on_create = self.on_create, None
            hook(self)
        self._call("create_user_module")
        if self.cluster.get("allow_modules_upload") is False:
            raise http_error("POST", "/v2/modules/user-defined", 403, "modules_upload_disabled")
        for obj in self.modules:
            if not obj.get("is_bundled") and (obj["module_name"], obj["version"]) == (metadata["module_name"], metadata["version"]):
                raise http_error("POST", "/v2/modules/user-defined", 409, "module_exists")
        self.uids += 1
        obj = server_object(metadata, uid="%032x" % (0xabc000 + self.uids))
        self.modules.append(obj)
        return copy.deepcopy(obj)

    def delete_user_module(self, uid):
        if self.on_delete:
            hook, self.on_delete = self.on_delete, None
            hook(self)
        self._call("delete_user_module")
        for obj in self.modules:
            if obj["uid"] == uid:
                self.modules.remove(obj)
                return None
        raise http_error("DELETE", "/v2/modules/user-defined/%s" % uid, 404, "module_delete_failed")


@pytest.fixture
def fake(fake_client):
    return fake_client(FakeClient)


@pytest.fixture
def run(module_runner):
    return module_runner(redis_user_module.main, CONN, secret=PASSWORD)


def user_objects(client):
    return [m for m in client.modules if not m.get("is_bundled")]


# -- state=present ------------------------------------------------------------------------------------

def test_create_from_metadata(fake, run):
    client = fake()
    result = run(dict(metadata=HELLO), diff=True)
    assert result.rc == 0 and result["changed"] is True
    assert client.writes() == ["create_user_module"]
    assert result["module"]["module_name"] == "hello" and result["module"]["uid"]
    assert result["allow_modules_upload_changed"] is False
    assert result["allow_modules_upload_before"] is True
    assert result["diff"]["before"] == {} and result["diff"]["after"]["uid"] == result["module"]["uid"]
    assert len(user_objects(client)) == 1


def test_create_coerces_float_version(fake, run):
    client = fake()
    result = run(dict(metadata=dict(HELLO, version=10000.0)))
    assert result["changed"] is True
    assert user_objects(client)[0]["version"] == 10000
    assert isinstance(result["module"]["version"], int)


def test_create_check_mode_sends_no_write(fake, run):
    client = fake()
    result = run(dict(metadata=HELLO), check_mode=True, diff=True)
    assert result["changed"] is True
    assert client.writes() == []
    assert result["module"]["module_name"] == "hello" and "uid" not in result["module"]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["semantic_version"] == "1.0.0"


def test_existing_equal_object_is_not_changed(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(metadata=dict(HELLO, version="10000")), diff=True)
    assert result["changed"] is False
    assert client.calls == ["list_modules"]  # no cluster read, no write
    assert result["module"]["uid"] == "7e9f0c2a1b3d4e5f60718293a4b5c6d7"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["allow_modules_upload_before"] is None


def test_capability_order_does_not_matter(fake, run):
    client = fake(modules=[server_object(dict(HELLO, capabilities=list(reversed(HELLO["capabilities"]))))])
    result = run(dict(metadata=HELLO))
    assert result["changed"] is False and client.writes() == []


def test_bundled_module_with_same_name_is_ignored(fake, run):
    client = fake(modules=[dict(server_object(HELLO), is_bundled=True, uid="bundled")])
    result = run(dict(metadata=HELLO))
    assert result["changed"] is True and client.writes() == ["create_user_module"]


def test_other_version_is_not_the_same_object(fake, run):
    client = fake(modules=[server_object(dict(HELLO, version=20000, semantic_version="2.0.0"))])
    result = run(dict(metadata=HELLO))
    assert result["changed"] is True
    assert sorted(m["version"] for m in user_objects(client)) == [10000, 20000]


def test_different_metadata_fails_as_immutable(fake, run):
    client = fake(modules=[server_object(dict(HELLO, display_name="Old", command_line_args="X 1"))])
    result = run(dict(metadata=HELLO))
    assert result.failed
    assert result["differences"] == ["command_line_args", "display_name"]
    assert "immutable" in result["msg"] and "force: true" in result["msg"]
    assert "command_line_args, display_name" in result["msg"]
    assert client.writes() == []


def test_force_replaces_object(fake, run):
    client = fake(modules=[server_object(dict(HELLO, display_name="Old"))])
    result = run(dict(metadata=HELLO, force=True), diff=True)
    assert result["changed"] is True
    assert client.writes() == ["delete_user_module", "create_user_module"]
    assert [m["display_name"] for m in user_objects(client)] == ["Hello"]
    assert result["differences"] == ["display_name"]
    assert result["diff"]["before"]["display_name"] == "Old" and result["diff"]["after"]["display_name"] == "Hello"


def test_force_check_mode(fake, run):
    client = fake(modules=[server_object(dict(HELLO, display_name="Old"))])
    result = run(dict(metadata=HELLO, force=True), check_mode=True)
    assert result["changed"] is True and client.writes() == []


def test_force_refused_while_in_use(fake, run):
    bdbs = [dict(uid=1, name="db1", module_list=[dict(module_name="hello", semantic_version="1.0.0")])]
    client = fake(modules=[server_object(dict(HELLO, display_name="Old"))], bdbs=bdbs)
    result = run(dict(metadata=HELLO, force=True))
    assert result.failed and result["databases"] == ["db1"]
    assert "db1" in result["msg"] and "nothing was deleted" in result["msg"]
    assert client.writes() == []


def test_force_create_failure_after_delete_says_so(fake, run):
    client = fake(modules=[server_object(dict(HELLO, display_name="Old"))])
    client.fail["create_user_module"] = [http_error("POST", "/v2/modules/user-defined", 500, None, "boom")]
    result = run(dict(metadata=HELLO, force=True))
    assert result.failed and result["status"] == 500
    assert "already deleted" in result["msg"]


def test_force_with_uploads_disabled_fails_before_deleting(fake, run):
    client = fake(modules=[server_object(dict(HELLO, display_name="Old"))], allow_upload=False)
    result = run(dict(metadata=HELLO, force=True))
    assert result.failed and "allow_uploads" in result["msg"]
    assert client.writes() == [] and len(user_objects(client)) == 1


# -- allow_modules_upload -----------------------------------------------------------------------------

def test_uploads_disabled_fails_with_hint(fake, run):
    client = fake(allow_upload=False)
    result = run(dict(metadata=HELLO))
    assert result.failed
    assert "allow_uploads: true" in result["msg"] and "modules_upload_disabled" in result["msg"]
    assert result["allow_modules_upload_before"] is False and result["allow_modules_upload_changed"] is False
    assert client.writes() == []


def test_uploads_disabled_check_mode_fails_too(fake, run):
    client = fake(allow_upload=False)
    result = run(dict(metadata=HELLO), check_mode=True)
    assert result.failed and client.writes() == []


def test_allow_uploads_enables_then_creates(fake, run):
    client = fake(allow_upload=False)
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result["changed"] is True
    assert client.writes() == ["set_allow_modules_upload", "create_user_module"]
    assert result["allow_modules_upload_changed"] is True and result["allow_modules_upload_before"] is False
    assert client.cluster["allow_modules_upload"] is True


def test_allow_uploads_check_mode(fake, run):
    client = fake(allow_upload=False)
    result = run(dict(metadata=HELLO, allow_uploads=True), check_mode=True)
    assert result["changed"] is True and result["allow_modules_upload_changed"] is True
    assert client.writes() == [] and client.cluster["allow_modules_upload"] is False


def test_allow_uploads_untouched_when_nothing_to_write(fake, run):
    client = fake(modules=[server_object(HELLO)], allow_upload=False)
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result["changed"] is False and result["allow_modules_upload_changed"] is False
    assert "get_cluster" not in client.calls and client.writes() == []


def test_allow_uploads_already_enabled(fake, run):
    client = fake(allow_upload=True)
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result["changed"] is True and result["allow_modules_upload_changed"] is False
    assert client.writes() == ["create_user_module"]


def test_cluster_without_setting_refusing_with_403(fake, run):
    client = fake(allow_upload=None)
    client.fail["create_user_module"] = [http_error("POST", "/v2/modules/user-defined", 403, "modules_upload_disabled")]
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result["changed"] is True
    assert result["allow_modules_upload_before"] is None and result["allow_modules_upload_changed"] is True
    assert client.writes() == ["create_user_module", "set_allow_modules_upload", "create_user_module"]


def test_403_upload_disabled_without_allow_uploads(fake, run):
    client = fake(allow_upload=None)
    client.fail["create_user_module"] = [http_error("POST", "/v2/modules/user-defined", 403, "modules_upload_disabled")]
    result = run(dict(metadata=HELLO))
    assert result.failed and result["status"] == 403 and result["error_code"] == "modules_upload_disabled"
    assert "allow_uploads: true" in result["msg"]
    assert user_objects(client) == []


def test_403_role(fake, run):
    client = fake()
    client.fail["create_user_module"] = [http_error("POST", "/v2/modules/user-defined", 403, None, "forbidden")]
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result.failed and result["status"] == 403 and "manage_cluster_modules" in result["msg"]
    assert client.writes() == ["create_user_module"]


def test_enable_uploads_forbidden(fake, run):
    client = fake(allow_upload=False)
    client.fail["set_allow_modules_upload"] = [http_error("PUT", "/v1/cluster", 403, None, "forbidden")]
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result.failed and "update_cluster" in result["msg"]
    assert user_objects(client) == []


# -- concurrency and server errors ---------------------------------------------------------------------

def test_concurrent_create_of_same_object_is_ok(fake, run):
    client = fake()
    client.on_create = lambda c: c.modules.append(server_object(HELLO, uid="other"))
    result = run(dict(metadata=HELLO))
    assert result.rc == 0 and result["changed"] is False
    assert result["module"]["uid"] == "other"
    assert client.calls.count("list_modules") == 2


def test_concurrent_create_with_other_metadata_fails(fake, run):
    client = fake()
    client.on_create = lambda c: c.modules.append(server_object(dict(HELLO, display_name="Theirs"), uid="other"))
    result = run(dict(metadata=HELLO))
    assert result.failed and result["differences"] == ["display_name"]
    assert "meanwhile" in result["msg"]


def test_invalid_metadata_from_server(fake, run):
    client = fake()
    client.fail["create_user_module"] = [http_error("POST", "/v2/modules/user-defined", 406, "invalid_module",
                                                    "commands must be a list")]
    result = run(dict(metadata=HELLO))
    assert result.failed and result["status"] == 406 and result["error_code"] == "invalid_module"
    assert "commands must be a list" in result["msg"]
    assert client.calls.count("list_modules") == 2  # re-read: maybe someone else created it


def test_read_failure(fake, run):
    client = fake()
    client.fail["list_modules"] = [http_error("GET", "/v1/modules", 401, None, "bad credentials")]
    result = run(dict(metadata=HELLO))
    assert result.failed and result["status"] == 401 and "username and password" in result["msg"]
    assert result["method"] == "GET" and result["path"] == "/v1/modules"


@pytest.mark.parametrize("missing", ["module_name", "version", "commands", "min_redis_version"])
def test_metadata_missing_required_field(fake, run, missing):
    client = fake()
    metadata = dict(HELLO)
    del metadata[missing]
    result = run(dict(metadata=metadata))
    assert result.failed and missing in result["msg"] and result["missing_fields"] == [missing]
    assert client.calls == []


@pytest.mark.parametrize("version", ["abc", "1.0.0", True, -1, 0])
def test_metadata_bad_version(fake, run, version):
    client = fake()
    result = run(dict(metadata=dict(HELLO, version=version)))
    assert result.failed and "version" in result["msg"]
    assert client.calls == []


# -- state=absent -------------------------------------------------------------------------------------

def test_absent_by_name_and_version(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(state="absent", module_name="hello", version=10000), diff=True)
    assert result["changed"] is True and result["module"] is None
    assert client.writes() == ["delete_user_module"] and user_objects(client) == []
    assert result["diff"]["before"]["uid"] and result["diff"]["after"] == {}


def test_absent_by_semantic_version(fake, run):
    client = fake(modules=[server_object(HELLO), server_object(dict(HELLO, version=20000, semantic_version="2.0.0"), uid="v2")])
    result = run(dict(state="absent", module_name="hello", semantic_version="2.0.0"))
    assert result["changed"] is True
    assert [m["uid"] for m in user_objects(client)] == ["7e9f0c2a1b3d4e5f60718293a4b5c6d7"]


def test_absent_by_both_versions_must_agree(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(state="absent", module_name="hello", version=10000, semantic_version="2.0.0"))
    assert result["changed"] is False and client.writes() == []


def test_absent_from_metadata(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(state="absent", metadata=dict(module_name="hello", version=10000.0)))
    assert result["changed"] is True and user_objects(client) == []


def test_absent_metadata_without_identity(fake, run):
    fake()
    result = run(dict(state="absent", metadata=dict(display_name="x")))
    assert result.failed and "module_name and version" in result["msg"]


def test_absent_needs_a_version(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(state="absent", module_name="hello"))
    assert result.failed and "version or semantic_version" in result["msg"]
    assert client.calls == []


def test_already_absent(fake, run):
    client = fake()
    result = run(dict(state="absent", module_name="hello", version=10000), diff=True)
    assert result["changed"] is False and result["module"] is None
    assert result["diff"] == {"before": {}, "after": {}}
    assert client.writes() == []


def test_absent_does_not_touch_bundled(fake, run):
    client = fake()
    result = run(dict(state="absent", module_name="search", version=80200))
    assert result["changed"] is False and client.writes() == []


def test_absent_check_mode(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(state="absent", module_name="hello", version=10000), check_mode=True)
    assert result["changed"] is True and client.writes() == [] and len(user_objects(client)) == 1


@pytest.mark.parametrize("entry", [
    dict(module_name="hello", semantic_version="1.0.0"),
    dict(module_name="hello"),
    dict(module_id="7e9f0c2a1b3d4e5f60718293a4b5c6d7", module_name="renamed"),
])
def test_absent_in_use_fails_before_deleting(fake, run, entry):
    bdbs = [dict(uid=1, name="sessions", module_list=[entry]), dict(uid=2, name="other", module_list=[])]
    client = fake(modules=[server_object(HELLO)], bdbs=bdbs)
    result = run(dict(state="absent", module_name="hello", version=10000), check_mode=False)
    assert result.failed and result["databases"] == ["sessions"]
    assert "sessions" in result["msg"] and "Nothing was deleted" in result["msg"]
    assert client.writes() == [] and len(user_objects(client)) == 1


def test_absent_not_in_use_by_other_version(fake, run):
    bdbs = [dict(uid=1, name="db1", module_list=[dict(module_name="hello", semantic_version="2.0.0")])]
    client = fake(modules=[server_object(HELLO)], bdbs=bdbs)
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result["changed"] is True and user_objects(client) == []


def test_absent_406_in_use_from_server(fake, run):
    client = fake(modules=[server_object(HELLO)])

    def database_appears(c):
        c.bdbs.append(dict(uid=3, name="late", module_list=[dict(module_name="hello", semantic_version="1.0.0")]))
        c.fail["delete_user_module"] = [http_error("DELETE", "/v2/modules/user-defined/x", 406, "module_in_use")]
    client.on_delete = database_appears
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result.failed and result["databases"] == ["late"] and result["error_code"] == "module_in_use"
    assert "late" in result["msg"]
    assert len(user_objects(client)) == 1


def test_absent_deleted_meanwhile(fake, run):
    client = fake(modules=[server_object(HELLO)])
    client.on_delete = lambda c: c.modules.pop()
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result.rc == 0 and result["changed"] is False


def test_absent_delete_error(fake, run):
    client = fake(modules=[server_object(HELLO)])
    client.fail["delete_user_module"] = [http_error("DELETE", "/v2/modules/user-defined/x", 503, None, "not a member")]
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result.failed and result["status"] == 503


# -- artifact (remote_src) ----------------------------------------------------------------------------

class FakePackage(object):
    def __init__(self, metadata, warnings=()):
        self.metadata = dict(metadata)
        self.warnings = list(warnings)


def test_artifact_on_host(fake, run, monkeypatch):
    seen = []

    def inspect(path):
        seen.append(path)
        return FakePackage(HELLO)
    monkeypatch.setattr(redis_user_module, "inspect_package", inspect)
    client = fake()
    result = run(dict(artifact="/var/tmp/hello-1.0.0.zip", remote_src=True))
    assert result["changed"] is True and seen == ["/var/tmp/hello-1.0.0.zip"]
    assert user_objects(client)[0]["module_name"] == "hello"


def test_artifact_absent(fake, run, monkeypatch):
    monkeypatch.setattr(redis_user_module, "inspect_package", lambda path: FakePackage(HELLO))
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(state="absent", artifact="/var/tmp/hello-1.0.0.zip", remote_src=True))
    assert result["changed"] is True and user_objects(client) == []


def test_artifact_error_is_a_clean_failure(fake, run, monkeypatch):
    def inspect(path):
        raise ArtifactError("%s: module.json missing" % path, path)
    monkeypatch.setattr(redis_user_module, "inspect_package", inspect)
    client = fake()
    result = run(dict(artifact="/var/tmp/broken.zip", remote_src=True))
    assert result.failed and "module.json missing" in result["msg"] and "/var/tmp/broken.zip" in result["msg"]
    assert client.calls == []


def test_real_package_on_host(fake, run, testmodules):
    client = fake()
    result = run(dict(artifact=testmodules.v1["path"], remote_src=True))
    assert result["changed"] is True
    obj = user_objects(client)[0]
    assert (obj["module_name"], obj["version"], obj["semantic_version"]) == ("hello", 10000, "1.0.0")


# -- argument validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, text", [
    (dict(), "one of the following is required"),
    (dict(metadata=HELLO, artifact="/x.zip"), "mutually exclusive"),
    (dict(metadata=HELLO, module_name="hello"), "mutually exclusive"),
    (dict(module_name="hello", version=10000), "state is present but any of the following are missing"),
    (dict(state="absent", version=10000, metadata=HELLO), "mutually exclusive"),
    (dict(metadata=HELLO, state="gone"), "value of state must be one of"),
])
def test_argument_validation(fake, run, args, text):
    client = fake()
    result = run(args)
    assert result.failed and text in result["msg"]
    assert client.calls == []


def test_password_is_masked_even_if_echoed(fake, run):
    client = fake()
    client.fail["list_modules"] = [http_error("GET", "/v1/modules", 500, None, "server said %s" % PASSWORD)]
    result = run(dict(metadata=HELLO))
    assert result.failed  # `run` asserts the password is not in the printed result


# -- rarer branches -----------------------------------------------------------------------------------

def test_force_when_old_object_vanished_meanwhile(fake, run):
    client = fake(modules=[server_object(dict(HELLO, display_name="Old"))])
    client.on_delete = lambda c: c.modules.pop()
    result = run(dict(metadata=HELLO, force=True))
    assert result["changed"] is True and [m["display_name"] for m in user_objects(client)] == ["Hello"]


def test_upload_still_refused_after_enabling(fake, run):
    client = fake(allow_upload=None)
    # refused every time (the setting keeps being turned off, or a cluster without it): given up after 3 resends
    refused = [http_error("POST", "/v2/modules/user-defined", 403, "modules_upload_disabled") for _attempt in range(4)]
    client.fail["create_user_module"] = refused
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert result.failed and result["error_code"] == "modules_upload_disabled"
    assert result["allow_modules_upload_changed"] is True  # so a role can still restore the setting
    assert client.writes() == ["create_user_module"] + ["set_allow_modules_upload", "create_user_module"] * 3


def test_upload_refused_after_another_run_restored_the_setting(fake, run):
    """This task turned the setting on, another run (a job slice) turned it off before the POST: on again, resent."""
    client = fake(allow_upload=False)
    client.fail["create_user_module"] = [http_error("POST", "/v2/modules/user-defined", 403, "modules_upload_disabled")]
    result = run(dict(metadata=HELLO, allow_uploads=True))
    assert not result.failed and result["changed"] is True
    assert result["allow_modules_upload_changed"] is True and result["allow_modules_upload_before"] is False
    assert client.writes() == ["set_allow_modules_upload", "create_user_module", "set_allow_modules_upload",
                               "create_user_module"]


def test_in_use_without_listed_database(fake, run):
    client = fake(modules=[server_object(HELLO)])
    client.fail["delete_user_module"] = [http_error("DELETE", "/v2/modules/user-defined/x", 406, "module_in_use")]
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result.failed and result["databases"] == [] and "not listed by GET /v1/bdbs" in result["msg"]


def test_server_object_with_unusable_version_is_skipped(fake, run):
    client = fake(modules=[dict(server_object(HELLO), version="n/a", uid="junk")])
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result["changed"] is False and client.writes() == []


# -- module names: refused before any request ---------------------------------------------------

@pytest.mark.parametrize("name", ["a/../b", "..", "rg x", "rg\x00", "m" * 129])
@pytest.mark.parametrize("how", ["metadata", "module_name", "metadata-absent"])
def test_unsafe_module_name_fails_before_any_request(fake, run, name, how):
    client = fake()
    if how == "metadata":
        args, prefix = dict(metadata=dict(HELLO, module_name=name)), "metadata module_name: "
    elif how == "module_name":
        args, prefix = dict(state="absent", module_name=name, version=10000), "module_name: "
    else:
        args, prefix = dict(state="absent", metadata=dict(HELLO, module_name=name)), "metadata module_name: "
    result = run(args)
    assert result.failed and result["msg"].startswith(prefix) and "a module name is one path segment" in result["msg"], result
    assert client.calls == []


@pytest.mark.parametrize("version, expected", [("10000", 10000), (10000.0, 10000), ("1e4", 10000)])
def test_metadata_version_read_like_redis_enterprise(fake, run, version, expected):
    fake()
    result = run(dict(metadata=dict(HELLO, version=version)), check_mode=True)
    assert result["changed"] is True and result["module"]["version"] == expected


def test_artifact_on_host_warnings(fake, run, monkeypatch):
    # recorded at AnsibleModule.warn: how warnings reach the result depends on what else the test process imported
    from ansible.module_utils.basic import AnsibleModule
    warned = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, warning: warned.append(warning))
    monkeypatch.setattr(redis_user_module, "inspect_package", lambda path: FakePackage(HELLO, ["%s: deps/x.tgz is not declared" % path]))
    fake()
    result = run(dict(artifact="/var/tmp/hello-1.0.0.zip", remote_src=True), check_mode=True)
    assert result["changed"] is True and warned == ["/var/tmp/hello-1.0.0.zip: deps/x.tgz is not declared"]


# -- Redis-version fit (compatible_redis_version / min_redis_version vs supported_database_versions) -----

@pytest.mark.parametrize("fields, fitting", [
    (dict(compatible_redis_version="8.2", min_redis_version="7.0"), ["8.2"]),
    (dict(compatible_redis_version="7.4", min_redis_version="4.0"), ["7.4"]),          # ramp pack's defaults
    (dict(compatible_redis_version="", min_redis_version="7.0"), ["7.2", "7.4"]),
])
def test_create_reads_the_cluster_versions_and_reports_the_fit(fake, run, fields, fitting, module_warnings):
    client = fake()
    result = run(dict(metadata=dict(HELLO, **fields)))
    assert result["changed"] is True and result["redis_versions"] == fitting
    assert client.calls[:2] == ["list_modules", "list_nodes"] and client.writes() == ["create_user_module"]
    assert warning_texts(result) == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_no_fitting_version_fails_before_any_write(fake, run, check_mode):
    client = fake(allow_upload=False)
    result = run(dict(metadata=dict(HELLO, compatible_redis_version="6.2", min_redis_version="6.0"), allow_uploads=True),
                 check_mode=check_mode)
    assert result.failed
    msg = result["msg"]
    assert 'compatible_redis_version "6.2", min_redis_version "6.0"' in msg
    assert "7.2, 7.4, 8.0, 8.2" in msg and "the cluster at https://127.0.0.11:9443" in msg
    assert "build and package the module for one of 7.2, 7.4, 8.0, 8.2" in msg and "check_redis_version: false" in msg
    assert "Nothing was changed" in msg
    assert result["redis_versions"] == ["7.2", "7.4", "8.0", "8.2"]
    assert client.writes() == [] and "get_cluster" not in client.calls and user_objects(client) == []


def test_8_0_cluster_refuses_an_8_2_package(fake, run):
    client = fake(nodes=[redis_node(1, "7.2", "7.4", "8.0")])
    result = run(dict(metadata=HELLO))
    assert result.failed and "fits none of the Redis database versions" in result["msg"]
    assert "upgrade the cluster to a Redis Enterprise release that offers Redis 8.2" in result["msg"]
    assert client.writes() == []


def test_any_node_offering_the_version_is_enough(fake, run):
    client = fake(nodes=[redis_node(1, "7.4", "8.0"), redis_node(2, "7.4", "8.0", "8.2")])
    result = run(dict(metadata=HELLO))
    assert result["changed"] is True and result["redis_versions"] == ["8.2"] and client.writes() == ["create_user_module"]


def test_no_version_fields_warns_and_creates(fake, run, module_warnings):
    client = fake()
    metadata = dict(HELLO, min_redis_version="")
    del metadata["compatible_redis_version"]
    result = run(dict(metadata=metadata))
    assert result["changed"] is True and client.writes() == ["create_user_module"]
    assert result["redis_versions"] == []
    texts = warning_texts(result)
    assert len(texts) == 1, texts
    assert "names neither compatible_redis_version nor min_redis_version" in texts[0] and "7.2, 7.4, 8.0, 8.2" in texts[0]


def test_cluster_without_versions_warns_and_creates(fake, run, module_warnings):
    client = fake(nodes=[dict(uid=1, addr="127.0.0.11")])
    result = run(dict(metadata=HELLO))
    assert result["changed"] is True and client.writes() == ["create_user_module"]
    texts = warning_texts(result)
    assert len(texts) == 1 and "does not list the Redis versions" in texts[0], texts


def test_unreadable_compatible_version_fails(fake, run):
    client = fake()
    result = run(dict(metadata=dict(HELLO, compatible_redis_version="eight")))
    assert result.failed and 'compatible_redis_version "eight", which is not a Redis version' in result["msg"]
    assert client.writes() == []


def test_check_redis_version_false_skips_the_read(fake, run):
    client = fake()
    result = run(dict(metadata=dict(HELLO, compatible_redis_version="6.2"), check_redis_version=False))
    assert result["changed"] is True and "list_nodes" not in client.calls and client.writes() == ["create_user_module"]
    assert result["redis_versions"] == []


def test_noop_run_does_not_read_the_nodes(fake, run):
    # Even a package that fits nothing: the object exists and is equal, so nothing is checked, sent or read.
    misfit = dict(HELLO, compatible_redis_version="6.2")
    client = fake(modules=[server_object(misfit)])
    result = run(dict(metadata=misfit))
    assert result["changed"] is False and client.calls == ["list_modules"]


def test_force_replacement_is_checked_too(fake, run):
    client = fake(modules=[server_object(HELLO)])
    result = run(dict(metadata=dict(HELLO, compatible_redis_version="6.2"), force=True))
    assert result.failed and "fits none" in result["msg"] and client.writes() == []
    assert len(user_objects(client)) == 1


def test_nodes_read_failure_fails_before_any_write(fake, run):
    client = fake()
    client.fail["list_nodes"] = [http_error("GET", "/v1/nodes", 403, "insufficient_permissions", "no view_all_nodes_info")]
    result = run(dict(metadata=HELLO))
    assert result.failed and result["status"] == 403 and client.writes() == []


def test_absent_never_reads_the_nodes(fake, run):
    client = fake(modules=[server_object(dict(HELLO, compatible_redis_version="6.2"))])
    result = run(dict(state="absent", module_name="hello", version=10000))
    assert result["changed"] is True and "list_nodes" not in client.calls
