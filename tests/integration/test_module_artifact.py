# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_module_artifact and redis_module_artifact_info through real ansible-playbook runs against the
3-node emulator, with the real test module packages.

Three ways to run the task, all through tests/integration/playbooks/artifact_manage.yml:

- ``delegated``: delegate_to localhost, url = the node's address (the package is used in place);
- ``on_node``: the host's own connection (``local`` in the emulator inventory), so the package is
  again used in place, as it would be on a controller that is also the node;
- ``transfer``: the host's connection is ``artifact_remote_sim``, a test-only connection plugin
  written below that executes locally but is not ``local``: the action plugin treats the host as
  remote, probes the node, and copies the package to the remote temporary directory only when an
  upload is needed. Its put_file calls are logged so the tests see every copy.

Every step asserts the task results, the emulator's request log (what was written) and the node's
artifact list through the API.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._client import Client

HERE = os.path.dirname(os.path.abspath(__file__))
MANAGE = os.path.join(HERE, "playbooks", "artifact_manage.yml")
INFO = os.path.join(HERE, "playbooks", "artifact_info.yml")
ARTIFACTS = "/v2/local/modules/user-defined/artifacts"
NODES = ("c1-node1", "c1-node2", "c1-node3")

REMOTE_SIM = '''
import json
import os

from ansible.plugins.connection.local import Connection as LocalConnection
from ansible.plugins.connection.local import DOCUMENTATION as _LOCAL_DOCUMENTATION

DOCUMENTATION = _LOCAL_DOCUMENTATION.replace("name: local", "name: artifact_remote_sim", 1)


class Connection(LocalConnection):
    """Runs locally, but is not 'local': action plugins must treat the host as remote (tests only)."""

    transport = "artifact_remote_sim"

    def put_file(self, in_path, out_path):
        with open(os.environ["ARTIFACT_PUT_LOG"], "a") as log:
            log.write(json.dumps([in_path, out_path]) + "\\n")
        super(Connection, self).put_file(in_path, out_path)
'''


class Runner(object):
    """Runs the artifact playbooks against one emulator and reads back per-host results."""

    def __init__(self, ansible_run, emulator, tmp_path):
        self.ansible_run = ansible_run
        self.emulator = emulator
        self.tmp_path = tmp_path
        self.count = 0
        plugins = tmp_path / "connection_plugins"
        plugins.mkdir()
        (plugins / "artifact_remote_sim.py").write_text(REMOTE_SIM)
        self.put_log = tmp_path / "put_file.log"
        self.put_log.write_text("")
        self.env = {"ANSIBLE_CONNECTION_PLUGINS": str(plugins), "ARTIFACT_PUT_LOG": str(self.put_log)}

    def conn_vars(self, user="admin", password=None):
        account = self.emulator.user(user)
        return dict(artifact_username=account["username"],
                    artifact_password=account["password"] if password is None else password,
                    artifact_ca_path=self.emulator.ca_file)

    def run(self, playbook=MANAGE, mode="delegated", user="admin", password=None, hosts="all", check=False,
            diff=False, verbosity=0, args=None, **variables):
        self.count += 1
        results = self.tmp_path / ("results%d" % self.count)
        results.mkdir()
        extra = self.conn_vars(user, password)
        extra.update(artifact_results=str(results), artifact_hosts=hosts)
        if mode == "transfer":
            extra.update(artifact_mode="on_node", ansible_connection="artifact_remote_sim")
        else:
            extra.update(artifact_mode=mode)
        extra.update(("artifact_%s" % key, value) for key, value in variables.items())
        mark = self.emulator.mark()
        run = self.ansible_run(playbook, inventory=self.emulator.inventory_path, extra_vars=extra, check=check,
                               diff=diff, verbosity=verbosity, env=self.env, args=args)
        run.results = {}
        for path in glob.glob(str(results / "*.json")):
            with open(path) as handle:
                run.results[os.path.basename(path)[:-5]] = json.load(handle)
        run.requests = self.emulator.requests(mark)
        run.writes = [entry for entry in run.requests if entry["method"] != "GET"]
        return run

    def puts(self):
        """Package copies made by the remote_sim connection so far (module files excluded)."""
        entries = [json.loads(line) for line in self.put_log.read_text().splitlines() if line.strip()]
        return [entry for entry in entries if entry[1].endswith(".zip")]

    def listed(self, node):
        client = Client(self.emulator.node_url(node), self.emulator.admin["username"], self.emulator.admin["password"],
                        ca_path=self.emulator.ca_file)
        try:
            return sorted((a["module_name"], a["version"]) for a in client.list_artifacts())
        finally:
            client.close()

    def state(self):
        return dict((node, self.listed(node)) for node in NODES)

    def set_uploads(self, value):
        client = Client(self.emulator.node_url(), self.emulator.admin["username"], self.emulator.admin["password"],
                        ca_path=self.emulator.ca_file)
        try:
            client.set_allow_modules_upload(value)
        finally:
            client.close()


@pytest.fixture
def runner(ansible_run, emulator, tmp_path):
    return Runner(ansible_run, emulator, tmp_path)


def ok(run, hosts=NODES):
    assert run.rc == 0, run
    assert sorted(run.results) == sorted(hosts), run
    for host in hosts:
        assert not run.results[host].get("failed"), (host, run.results[host])
    return run.results


def failed(run, hosts=NODES):
    assert sorted(run.results) == sorted(hosts), run
    for host in hosts:
        assert run.results[host].get("failed"), (host, run.results[host])
    return run.results


HELLO1 = ("hello", 10000)
HELLO2 = ("hello", 20000)
EMPTY = dict((node, []) for node in NODES)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["delegated", "on_node", "transfer"])
def test_lifecycle(runner, testmodules, mode):
    src = testmodules.v1["path"]
    emulator = runner.emulator

    # check mode: predicts the upload (and enabling uploads), writes nothing, copies nothing
    run = runner.run(mode=mode, src=src, allow_uploads=True, check=True, diff=True)
    for host, result in ok(run).items():
        assert result["changed"] is True and result["uploaded"] is True, result
        assert result["allow_modules_upload_changed"] is True
        assert result["artifact"] == dict(module_name="hello", version=10000, semantic_version="1.0.0")
        assert result["artifacts"] == [dict(module_name="hello", version=10000, dependencies=[])]
        assert result["diff"]["before"] == {}
        assert result["node"]["architecture"] == "x86_64" and result["node"]["os"] == "ubuntu22"
        assert result["node"]["addr"] == emulator.node(host)["address"]
    assert run.writes == [], run.writes
    assert runner.puts() == []
    assert runner.state() == EMPTY

    # apply: one upload per node, each to its own node
    run = runner.run(mode=mode, src=src, allow_uploads=True, verbosity=4)
    for host, result in ok(run).items():
        assert result["changed"] is True and result["uploaded"] is True
        assert result["artifacts"] == [dict(module_name="hello", version=10000, dependencies=[])]
        assert result["node"]["uid"] == emulator.node(host)["uid"]
    posts = [(e["node"], e["status"]) for e in run.writes if e["method"] == "POST"]
    assert sorted(posts) == [(node, 200) for node in NODES]
    assert emulator.admin["password"] not in run.output
    assert runner.state() == dict((node, [HELLO1]) for node in NODES)
    if mode == "transfer":
        copies = runner.puts()
        assert len(copies) == 3 and all(c[0] == src and c[1].endswith("/hello-1.0.0.zip") for c in copies)
        assert all("/ansible_remote_tmp/" in c[1] for c in copies)
        leftovers = [path for path in glob.glob(str(runner.tmp_path / "**" / "ansible_remote_tmp" / "**"), recursive=True)
                     if path.endswith(".zip")]
        assert leftovers == []
    else:
        assert runner.puts() == []

    # re-apply: nothing written, nothing uploaded, nothing copied, node not even looked up
    copies_before = len(runner.puts())
    run = runner.run(mode=mode, src=src, allow_uploads=True)
    for result in ok(run).values():
        assert result["changed"] is False and result["uploaded"] is False
        assert result["node"] == {} and result["allow_modules_upload_changed"] is False
    assert run.writes == []
    assert [e for e in run.requests if e["path"] in ("/v1/nodes", "/v1/cluster")] == []
    assert len(runner.puts()) == copies_before

    # the info module sees it on every node
    run = runner.run(playbook=INFO, module_name="hello")
    for result in ok(run).values():
        assert result["changed"] is False
        assert result["artifacts"] == [dict(module_name="hello", version=10000, dependencies=[])]

    # remove: check mode first, then for real, then again
    run = runner.run(mode=mode, state="absent", module_name="hello", version=10000, check=True)
    for result in ok(run).values():
        assert result["changed"] is True and result["artifacts"] == []
    assert run.writes == []
    assert runner.state() == dict((node, [HELLO1]) for node in NODES)

    run = runner.run(mode=mode, state="absent", src=src)
    for result in ok(run).values():
        assert result["changed"] is True and result["artifacts"] == []
    assert sorted((e["method"], e["node"]) for e in run.writes) == [("DELETE", node) for node in NODES]
    assert runner.state() == EMPTY

    run = runner.run(mode=mode, state="absent", module_name="hello", version=10000)
    for result in ok(run).values():
        assert result["changed"] is False
    assert run.writes == []


@pytest.mark.slow
def test_two_versions_force_and_info_filters(runner, testmodules):
    runner.set_uploads(True)
    ok(runner.run(src=testmodules.v1["path"]))
    run = runner.run(src=testmodules.v2["path"], hosts="c1-node2")
    assert ok(run, ["c1-node2"])["c1-node2"]["artifacts"] == [
        dict(module_name="hello", version=10000, dependencies=[]), dict(module_name="hello", version=20000, dependencies=[])]
    assert runner.state() == {"c1-node1": [HELLO1], "c1-node2": [HELLO1, HELLO2], "c1-node3": [HELLO1]}

    run = runner.run(src=testmodules.v1["path"], force=True, hosts="c1-node1")
    assert ok(run, ["c1-node1"])["c1-node1"]["changed"] is True
    assert [(e["method"], e["node"]) for e in run.writes] == [("POST", "c1-node1")]

    run = runner.run(playbook=INFO, user="viewer", version=20000)
    results = ok(run)
    assert results["c1-node2"]["artifacts"] == [dict(module_name="hello", version=20000, dependencies=[])]
    assert results["c1-node1"]["artifacts"] == [] and results["c1-node3"]["artifacts"] == []

    # remote_src: the path is on the managed host, the module inspects it there; nothing is copied
    run = runner.run(mode="transfer", src=testmodules.v2["path"], remote_src=True, hosts="c1-node3")
    assert ok(run, ["c1-node3"])["c1-node3"]["changed"] is True
    assert runner.puts() == []
    assert runner.listed("c1-node3") == [HELLO1, HELLO2]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["delegated", "transfer"])
def test_vault_encrypted_package(runner, testmodules, tmp_path, mode):
    vault_password = tmp_path / "vault-pass"
    vault_password.write_text("artifact-vault-secret\n")
    encrypted = tmp_path / "hello-1.0.0.zip"
    shutil.copy(testmodules.v1["path"], str(encrypted))
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-vault"), "encrypt", str(encrypted),
                    "--vault-password-file", str(vault_password)], check=True, capture_output=True)
    assert open(str(encrypted), "rb").read(14) == b"$ANSIBLE_VAULT"
    assert not zipfile.is_zipfile(str(encrypted))
    runner.set_uploads(True)

    run = runner.run(mode=mode, src=str(encrypted), args=["--vault-password-file", str(vault_password)])
    for result in ok(run).values():
        assert result["changed"] is True and result["uploaded"] is True
    assert runner.state() == dict((node, [HELLO1]) for node in NODES)
    if mode == "transfer":
        # the decrypted copy is what travels, and it is gone afterwards
        copies = runner.puts()
        assert len(copies) == 3 and all(c[0] != str(encrypted) for c in copies)
        assert not any(os.path.exists(c[0]) for c in copies)

    run = runner.run(mode=mode, src=str(encrypted), args=["--vault-password-file", str(vault_password)])
    assert all(result["changed"] is False for result in ok(run).values())
    assert run.writes == []


# -- failures: message, and the cluster unchanged -------------------------------------------------

def test_malformed_package_sends_nothing(runner, tmp_path):
    bad = tmp_path / "hello-broken.zip"
    with zipfile.ZipFile(str(bad), "w") as archive:
        archive.writestr("module.json", "{not json")
        archive.writestr("hello.so", b"\x7fELF")
    for mode in ("delegated", "transfer"):
        run = runner.run(mode=mode, src=str(bad), allow_uploads=True)
        for result in failed(run).values():
            assert result["msg"].startswith("invalid module package %s: " % bad), result["msg"]
            assert "module.json" in result["msg"]
        assert run.requests == [], run.requests
    assert runner.puts() == []
    assert runner.state() == EMPTY


@pytest.mark.parametrize("mode", ["delegated", "transfer"])
def test_wrong_architecture(runner, testmodules, mode):
    package = testmodules.require_aarch64()
    runner.set_uploads(True)
    run = runner.run(mode=mode, src=package["path"])
    for host, result in failed(run).items():
        node = runner.emulator.node(host)
        assert "node %s (%s)" % (node["uid"], node["address"]) in result["msg"], result["msg"]
        assert "aarch64" in result["msg"] and "x86_64" in result["msg"] and "Nothing was uploaded" in result["msg"]
    assert run.writes == []
    assert runner.puts() == []  # refused by the probe, before the package was copied
    assert runner.state() == EMPTY


def test_wrong_operating_system(runner, testmodules):
    runner.set_uploads(True)
    run = runner.run(src=testmodules.rhel8["path"])
    for result in failed(run).values():
        assert "rhel8" in result["msg"] and "ubuntu22" in result["msg"], result["msg"]
    assert run.writes == []
    assert runner.state() == EMPTY


def test_wrong_credentials(runner, testmodules):
    wrong = "Wr0ng-Secret-Pa55"
    run = runner.run(src=testmodules.v1["path"], password=wrong, verbosity=4)
    for result in failed(run).values():
        assert "HTTP 401" in result["msg"] and "credentials" in result["msg"], result["msg"]
    assert wrong not in run.output
    assert run.writes == []
    assert runner.state() == EMPTY


def test_viewer_role_is_refused(runner, testmodules):
    runner.set_uploads(True)
    run = runner.run(src=testmodules.v1["path"], user="viewer")
    for result in failed(run).values():
        assert "HTTP 403" in result["msg"] and "manage_cluster_modules" in result["msg"], result["msg"]
    assert [e["status"] for e in run.writes] == [403, 403, 403]
    assert runner.state() == EMPTY

    run = runner.run(state="absent", module_name="hello", version=10000, user="viewer")
    assert all(result["changed"] is False for result in ok(run).values())


def test_uploads_disabled(runner, testmodules):
    run = runner.run(src=testmodules.v1["path"])
    for result in failed(run).values():
        assert "allow_uploads: true" in result["msg"] and result["allow_modules_upload_before"] is False, result["msg"]
    assert run.writes == []
    assert runner.state() == EMPTY


def test_node_down(runner, testmodules):
    runner.set_uploads(True)
    runner.emulator.fault("c1-node2", "down")
    try:
        run = runner.run(src=testmodules.v1["path"])
    finally:
        runner.emulator.fault("c1-node2", "up")
    assert run.results["c1-node2"]["failed"] and "cannot connect" in run.results["c1-node2"]["msg"]
    assert run.results["c1-node1"]["changed"] is True and run.results["c1-node3"]["changed"] is True
    assert runner.state() == {"c1-node1": [HELLO1], "c1-node2": [], "c1-node3": [HELLO1]}


def test_connection_dropped_mid_upload(runner, testmodules):
    runner.set_uploads(True)
    runner.emulator.fault("c1-node1", "drop-upload")
    run = runner.run(src=testmodules.v1["path"], hosts="c1-node1")
    result = failed(run, ["c1-node1"])["c1-node1"]
    assert "POST %s" % ARTIFACTS in result["msg"] and "broke" in result["msg"], result["msg"]
    assert "may have been applied" in result["msg"]
    assert [e["method"] for e in run.writes] == ["POST"]  # never replayed
    assert runner.listed("c1-node1") == []
    # the next run completes the job
    run = runner.run(src=testmodules.v1["path"], hosts="c1-node1")
    assert ok(run, ["c1-node1"])["c1-node1"]["changed"] is True
