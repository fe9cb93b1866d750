# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_user_module and redis_user_module_info through real ansible-playbook runs against the emulator.

Every test checks the cluster through its REST API (not only `changed`) and, where nothing may be
written, the emulator's request log.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, "playbooks", "user_module.yml")
INFO_PLAYBOOK = os.path.join(HERE, "playbooks", "user_module_info.yml")

pytestmark = pytest.mark.slow


class Cluster(object):
    """Direct REST access to the emulator as admin, to check and prepare the cluster's state."""

    def __init__(self, emulator, node=None):
        self.conn = emulator.conn(node=node)

    def call(self, method, path, body=None, expected=(200,)):
        response = requests.request(method, self.conn["url"] + path, json=body, timeout=30, verify=self.conn["ca_path"],
                                    auth=(self.conn["username"], self.conn["password"]))
        assert response.status_code in expected, (method, path, response.status_code, response.text)
        return response.json() if response.text.strip() else None

    def user_modules(self):
        return sorted(((m["module_name"], m["version"]) for m in self.call("GET", "/v1/modules") if not m.get("is_bundled")))

    def allow_upload(self, value=None):
        if value is not None:
            self.call("PUT", "/v1/cluster", {"allow_modules_upload": value})
        return self.call("GET", "/v1/cluster").get("allow_modules_upload")


class PlayResult(dict):
    def __init__(self, data, proc):
        super(PlayResult, self).__init__(data)
        self.proc = proc


@pytest.fixture
def play(ansible_run, emulator, tmp_path):
    """Run the playbook; return the registered result (a dict, with the run as `.proc`).

    Connection as `user`, or with `password`."""
    counter = [0]

    def run(playbook=PLAYBOOK, user="admin", password=None, node=None, emu=None, **kwargs):
        emu = emu or emulator
        counter[0] += 1
        result_file = tmp_path / ("result%d.json" % counter[0])
        conn = emu.conn(node=node, user=user)
        extra = dict(re_url=conn["url"], re_username=conn["username"], re_password=password or conn["password"],
                     re_ca_path=conn["ca_path"], result_file=str(result_file))
        options = dict((k, v) for k, v in kwargs.items() if k not in ("check", "diff", "verbosity", "env", "args"))
        extra.update(options)
        proc = ansible_run(playbook, extra_vars=extra, check=kwargs.get("check", False), diff=kwargs.get("diff", False),
                           verbosity=kwargs.get("verbosity", 0), env=kwargs.get("env"), args=kwargs.get("args"))
        assert proc.rc == 0, proc  # task failures are ignored in the playbook and asserted by the tests
        assert "Traceback" not in proc.output, proc
        assert (password or conn["password"]) not in proc.output, proc
        with open(str(result_file)) as handle:
            return PlayResult(json.load(handle), proc)

    return run


def hello(testmodules, key="v1"):
    return getattr(testmodules, key)["path"]


def metadata_of(testmodules, key="v1"):
    with zipfile.ZipFile(hello(testmodules, key)) as archive:
        return json.loads(archive.read("module.json").decode())


# -- the lifecycle ----------------------------------------------------------------------------------

def test_lifecycle_check_apply_reapply_remove(play, emulator, testmodules):
    cluster = Cluster(emulator)
    artifact = hello(testmodules)

    mark = emulator.mark()
    result = play(um_artifact=artifact, um_allow_uploads=True, check=True)
    assert result["changed"] is True and not result.get("failed")
    assert result["allow_modules_upload_changed"] is True and result["allow_modules_upload_before"] is False
    assert result["module"]["module_name"] == "hello" and result["module"]["version"] == 10000
    assert emulator.writes(mark) == []
    assert cluster.user_modules() == [] and cluster.allow_upload() is False

    mark = emulator.mark()
    result = play(um_artifact=artifact, um_allow_uploads=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert result["module"]["uid"] and result["module"]["semantic_version"] == "1.0.0"
    assert result["allow_modules_upload_changed"] is True and result["allow_modules_upload_before"] is False
    assert cluster.user_modules() == [("hello", 10000)] and cluster.allow_upload() is True
    assert [(w["method"], w["path"]) for w in emulator.writes(mark)] == [("PUT", "/v1/cluster"), ("POST", "/v2/modules/user-defined")]
    uid = result["module"]["uid"]

    mark = emulator.mark()
    result = play(um_artifact=artifact, um_allow_uploads=True)
    assert result["changed"] is False and result["module"]["uid"] == uid
    assert result["allow_modules_upload_changed"] is False and result["allow_modules_upload_before"] is None
    assert emulator.writes(mark) == []
    assert [(r["method"], r["path"]) for r in emulator.requests(mark)] == [("GET", "/v1/modules")]

    mark = emulator.mark()
    result = play(um_state="absent", um_module_name="hello", um_version=10000, check=True)
    assert result["changed"] is True and emulator.writes(mark) == [] and cluster.user_modules() == [("hello", 10000)]

    mark = emulator.mark()
    result = play(um_state="absent", um_module_name="hello", um_version=10000)
    assert result["changed"] is True and result["module"] is None
    assert cluster.user_modules() == []
    assert [(w["method"], w["path"]) for w in emulator.writes(mark)] == [("DELETE", "/v2/modules/user-defined/%s" % uid)]

    mark = emulator.mark()
    result = play(um_state="absent", um_module_name="hello", um_version=10000)
    assert result["changed"] is False and emulator.writes(mark) == []


def test_absent_by_artifact_and_semantic_version(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    play(um_artifact=hello(testmodules))
    play(um_artifact=hello(testmodules, "v2"))
    assert cluster.user_modules() == [("hello", 10000), ("hello", 20000)]

    result = play(um_state="absent", um_artifact=hello(testmodules, "v2"))
    assert result["changed"] is True and cluster.user_modules() == [("hello", 10000)]
    result = play(um_state="absent", um_module_name="hello", um_semantic_version="1.0.0")
    assert result["changed"] is True and cluster.user_modules() == []


def test_remote_src_and_metadata(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    result = play(um_artifact=hello(testmodules), um_remote_src=True)
    assert result["changed"] is True and cluster.user_modules() == [("hello", 10000)]
    # The same object described by explicit metadata (the float version Redis' packer writes) is unchanged.
    metadata = dict(metadata_of(testmodules), version=10000.0)
    mark = emulator.mark()
    result = play(um_metadata=metadata)
    assert result["changed"] is False and emulator.writes(mark) == []


def test_vaulted_artifact(play, emulator, testmodules, tmp_path):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    vaulted = tmp_path / "hello-vaulted.zip"
    shutil.copy(hello(testmodules), str(vaulted))
    secret = tmp_path / "vault-pass"
    secret.write_text("vault-secret-for-tests\n")
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-vault"), "encrypt", "--vault-password-file",
                    str(secret), str(vaulted)], check=True, capture_output=True)
    assert vaulted.read_bytes().startswith(b"$ANSIBLE_VAULT")
    result = play(um_artifact=str(vaulted), args=["--vault-password-file", str(secret)])
    assert result["changed"] is True, result
    assert cluster.user_modules() == [("hello", 10000)]


def test_diff_output(play, emulator, testmodules):
    Cluster(emulator).allow_upload(True)
    result = play(um_artifact=hello(testmodules), diff=True, check=True)
    assert result["diff"]["before"] == {} and result["diff"]["after"]["module_name"] == "hello"
    assert '+    "module_name": "hello"' in result.proc.stdout, result.proc
    play(um_artifact=hello(testmodules))
    result = play(um_state="absent", um_module_name="hello", um_version=10000, diff=True)
    assert result["diff"]["after"] == {} and result["diff"]["before"]["version"] == 10000
    assert '-    "module_name": "hello"' in result.proc.stdout, result.proc


def test_immutable_version_and_force(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    play(um_artifact=hello(testmodules))
    uid = cluster.call("GET", "/v1/modules")[-1]["uid"]
    changed = dict(metadata_of(testmodules), display_name="Hello, renamed", command_line_args="GREETING hi")

    mark = emulator.mark()
    result = play(um_metadata=changed)
    assert result["failed"] is True and "immutable" in result["msg"]
    assert result["differences"] == ["command_line_args", "display_name"]
    assert emulator.writes(mark) == []

    result = play(um_metadata=changed, um_force=True)
    assert result["changed"] is True and result["module"]["display_name"] == "Hello, renamed"
    objects = [m for m in cluster.call("GET", "/v1/modules") if not m.get("is_bundled")]
    assert len(objects) == 1 and objects[0]["uid"] != uid and objects[0]["command_line_args"] == "GREETING hi"


# -- failures: each leaves the cluster as it was --------------------------------------------------

def test_bad_password(play, emulator, testmodules):
    cluster = Cluster(emulator)
    mark = emulator.mark()
    result = play(um_artifact=hello(testmodules), password="Wrong-Passw0rd-xyz")
    assert result["failed"] is True and result["status"] == 401
    assert "HTTP 401" in result["msg"] and "username and password" in result["msg"]
    assert emulator.writes(mark) == [] and cluster.user_modules() == []


def test_viewer_role(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    result = play(um_artifact=hello(testmodules), user="cluster_viewer")
    assert result["failed"] is True and result["status"] == 403
    assert "manage_cluster_modules" in result["msg"] and result["path"] == "/v2/modules/user-defined"
    assert cluster.user_modules() == []

    play(um_artifact=hello(testmodules))
    result = play(um_state="absent", um_module_name="hello", um_version=10000, user="cluster_viewer")
    assert result["failed"] is True and result["status"] == 403 and cluster.user_modules() == [("hello", 10000)]


def test_viewer_cannot_enable_uploads(play, emulator, testmodules):
    cluster = Cluster(emulator)
    result = play(um_artifact=hello(testmodules), um_allow_uploads=True, user="cluster_viewer")
    assert result["failed"] is True and result["status"] == 403 and "update_cluster" in result["msg"]
    assert cluster.allow_upload() is False and cluster.user_modules() == []


def test_uploads_disabled(play, emulator, testmodules):
    cluster = Cluster(emulator)
    mark = emulator.mark()
    result = play(um_artifact=hello(testmodules))
    assert result["failed"] is True
    assert "modules_upload_disabled" in result["msg"] and "allow_uploads: true" in result["msg"]
    assert result["allow_modules_upload_before"] is False and result["allow_modules_upload_changed"] is False
    assert emulator.writes(mark) == [] and cluster.user_modules() == [] and cluster.allow_upload() is False

    result = play(um_artifact=hello(testmodules), um_allow_uploads=True)
    assert result["changed"] is True and result["allow_modules_upload_changed"] is True
    assert cluster.allow_upload() is True and cluster.user_modules() == [("hello", 10000)]


def test_cluster_without_upload_setting(play, emulator_factory, testmodules):
    emu = emulator_factory(clusters={"c1": 1}, software_version="8.0.10-81")
    # An 8.0 cluster offers Redis 6.2 to 8.0 (as the captured 8.0 node does): hello as built (for Redis 8.2) fits none of them ...
    result = play(emu=emu, um_artifact=hello(testmodules), um_allow_uploads=True)
    assert result["failed"] is True and "fits none of the Redis database versions" in result["msg"]
    assert result["redis_versions"] == ["6.2", "7.2", "7.4", "8.0"] and emu.writes() == []
    # ... the same module built for Redis 8.0 does
    built_for_8_0 = dict(metadata_of(testmodules), compatible_redis_version="8.0")
    result = play(emu=emu, um_metadata=built_for_8_0, um_allow_uploads=True)
    assert result["changed"] is True and result["allow_modules_upload_before"] is None
    assert result["allow_modules_upload_changed"] is False and result["redis_versions"] == ["8.0"]
    assert [w["method"] for w in emu.writes()] == ["POST"]


def test_invalid_metadata(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    bad = dict(metadata_of(testmodules), commands=[{"command_name": "hello.greet", "flags": "readonly"}])
    result = play(um_metadata=bad)
    assert result["failed"] is True and result["status"] == 406 and result["error_code"] == "invalid_module"
    assert "flags" in result["msg"]
    assert cluster.user_modules() == []


def test_missing_required_metadata(play, emulator, testmodules):
    bad = dict(metadata_of(testmodules))
    del bad["display_name"]
    mark = emulator.mark()
    result = play(um_metadata=bad)
    assert result["failed"] is True and "display_name" in result["msg"]
    assert emulator.requests(mark) == []


def test_in_use(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    play(um_artifact=hello(testmodules))
    cluster.call("POST", "/v1/bdbs", {"name": "sessions", "memory_size": 100 * 1024 * 1024,
                                      "module_list": [{"module_name": "hello", "semantic_version": "1.0.0"}]})

    mark = emulator.mark()
    result = play(um_state="absent", um_module_name="hello", um_version=10000)
    assert result["failed"] is True and result["databases"] == ["sessions"]
    assert "sessions" in result["msg"] and "Nothing was deleted" in result["msg"]
    assert emulator.writes(mark) == [] and cluster.user_modules() == [("hello", 10000)]

    changed = dict(metadata_of(testmodules), display_name="Renamed")
    result = play(um_metadata=changed, um_force=True)
    assert result["failed"] is True and result["databases"] == ["sessions"]
    assert emulator.writes(mark) == [] and cluster.user_modules() == [("hello", 10000)]


def test_node_down(play, emulator, testmodules):
    cluster = Cluster(emulator, node="c1-node2")
    emulator.fault("c1-node1", "down")
    try:
        result = play(um_artifact=hello(testmodules), um_allow_uploads=True, node="c1-node1")
    finally:
        emulator.fault("c1-node1", "up")
    assert result["failed"] is True and "cannot connect" in result["msg"]
    assert cluster.user_modules() == [] and cluster.allow_upload() is False


def test_broken_package(play, emulator, tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip at all")
    mark = emulator.mark()
    result = play(um_artifact=str(broken))
    assert result["failed"] is True and "not a zip file" in result["msg"] and "broken.zip" in result["msg"]
    assert emulator.requests(mark) == []
    result = play(um_artifact=str(tmp_path / "missing.zip"))
    assert result["failed"] is True and "missing.zip" in result["msg"]


def test_password_never_shown_at_vvvv(play, emulator, testmodules):
    password = emulator.conn()["password"]
    result = play(um_artifact=hello(testmodules), um_allow_uploads=True, verbosity=4, diff=True)
    assert result["changed"] is True
    result = play(um_artifact=hello(testmodules), user="cluster_viewer", um_force=True, verbosity=4)
    with open(result.proc.log_path) as handle:
        assert password not in handle.read()
    result = play(um_artifact=hello(testmodules), password="Wrong-Passw0rd-xyz", verbosity=4)
    assert result["failed"] is True and "Wrong-Passw0rd-xyz" not in result.proc.output


# -- redis_user_module_info -------------------------------------------------------------------------

def test_info(play, emulator, testmodules):
    cluster = Cluster(emulator)
    cluster.allow_upload(True)
    play(um_artifact=hello(testmodules))
    play(um_artifact=hello(testmodules, "v2"))

    result = play(playbook=INFO_PLAYBOOK, user="cluster_viewer", check=True)
    assert result["changed"] is False
    assert [(m["module_name"], m["version"]) for m in result["modules"]] == [("hello", 10000), ("hello", 20000)]

    result = play(playbook=INFO_PLAYBOOK, info_module_name="hello", info_version=20000)
    assert [m["semantic_version"] for m in result["modules"]] == ["2.0.0"]

    result = play(playbook=INFO_PLAYBOOK, info_include_bundled=True)
    names = set(m["module_name"] for m in result["modules"])
    assert {"hello", "search", "ReJSON"} <= names

    result = play(playbook=INFO_PLAYBOOK, password="Wrong-Passw0rd-xyz")
    assert result["failed"] is True and result["status"] == 401
