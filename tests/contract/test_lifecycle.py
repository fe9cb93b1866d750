# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: ready file, persistence across restart, stop/SIGTERM, inventory, request log, no secrets in logs."""

import json
import os
import random
import re
import subprocess
import sys
import time

import yaml

from tests.contract.helpers import ARTIFACTS, USER_DEFINED, Api, bdb_body, build_zip, metadata
from tests.pytest_emulator import REPO


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tests.emulator"] + list(args), cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_ready_file_contents(emulator):
    ready = emulator.ready
    assert ready["pid"] == emulator.proc.pid
    assert os.path.isfile(ready["ca_file"]) and ready["control_url"].startswith("http://127.0.0.1:")
    roles = {u["role"]: u for u in ready["users"]}
    assert roles["admin"]["username"] == "admin@redis.test"
    assert roles["cluster_viewer"]["username"] == "viewer@redis.test"
    assert roles["db_member"]["username"] == "member@redis.test"
    assert all(len(u["password"]) >= 16 for u in ready["users"])
    nodes = ready["clusters"][0]["nodes"]
    assert [n["name"] for n in nodes] == ["c1-node1", "c1-node2", "c1-node3"]
    base = emulator.address_base.split(".")
    assert nodes[1]["address"] == "%s.%s.%s.%d" % (base[0], base[1], base[2], int(base[3]) + 2)
    assert nodes[1]["url"] == "https://%s:9443" % nodes[1]["address"]
    assert [n["uid"] for n in nodes] == [1, 2, 3]


def test_ready_file_option_and_multi_cluster_addresses(tmp_path):
    state = tmp_path / "s"
    extra = tmp_path / "ready-copy.json"
    second = random.randint(1, 250)
    proc = subprocess.Popen([sys.executable, "-m", "tests.emulator", "serve", "--cluster", "a:1", "--cluster", "b:2",  # pylint: disable=consider-using-with
                             "--state-dir", str(state), "--ready-file", str(extra), "--address-base", "127.%d.3.20" % second, "--port", "9444"],
                            cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while not extra.exists() and time.time() < deadline:
            time.sleep(0.05)
        doc = json.loads(extra.read_text())
        assert doc == json.loads((state / "ready.json").read_text())
        urls = [n["url"] for c in doc["clusters"] for n in c["nodes"]]
        assert urls == ["https://127.%d.%s:9444" % (second, tail) for tail in ("3.21", "4.21", "4.22")]
        assert _cli("stop", "--state-dir", str(state)).returncode == 0
        assert proc.wait(10) == 0
        assert not (state / "ready.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_state_survives_restart(emulator, tmp_path):
    admin = Api(emulator)
    admin.allow_uploads(True)
    mod = admin.post(USER_DEFINED, json=metadata("persist")).json()
    assert Api(emulator, "c1-node2").upload(build_zip(tmp_path / "p.zip", metadata("persist"))).status_code == 200
    bdb = admin.post("/v1/bdbs", json=bdb_body("pdb", [{"module_name": "persist"}])).json()
    before_users = emulator.ready["users"]
    with open(emulator.ca_file) as handle:
        ca_before = handle.read()
    emulator.restart()
    assert emulator.ready["users"] == before_users
    with open(emulator.ca_file) as handle:
        assert handle.read() == ca_before
    admin = Api(emulator)
    assert admin.get("/v1/cluster").json()["allow_modules_upload"] is True
    assert admin.get("/v1/modules/" + mod["uid"]).json() == mod
    assert Api(emulator, "c1-node2").get(ARTIFACTS).json() == [{"module_name": "persist", "version": 10000, "dependencies": []}]
    assert admin.get("/v1/bdbs").json() == [bdb]
    assert admin.post("/v1/bdbs", json=bdb_body("pdb2")).json()["uid"] == bdb["uid"] + 1


def test_sigterm_stops_cleanly(emulator):
    assert emulator.stop() == 0
    assert not os.path.exists(os.path.join(emulator.state_dir, "ready.json"))
    assert "emulator stopped" in emulator.stderr()


def test_stop_cli(emulator):
    out = _cli("stop", "--state-dir", emulator.state_dir)
    assert out.returncode == 0, out.stderr
    assert emulator.proc.wait(10) == 0


def test_second_serve_on_same_state_dir_refused(emulator):
    out = _cli("serve", "--cluster", "c1:1", "--state-dir", emulator.state_dir, "--address-base", "127.250.250.10")
    assert out.returncode == 2 and "already serves" in out.stderr


def test_inventory(emulator):
    with open(emulator.inventory_path) as handle:
        inv = yaml.safe_load(handle)
    hosts = inv["all"]["children"]["c1"]["hosts"]
    assert sorted(hosts) == ["c1-node1", "c1-node2", "c1-node3"]
    node2 = emulator.node("c1-node2")
    assert hosts["c1-node2"] == {"ansible_host": node2["address"], "module_lifecycle_cluster": "c1", "module_lifecycle_node_url": node2["url"]}
    assert inv["all"]["vars"]["ansible_connection"] == "local"


def test_request_log(emulator, tmp_path):
    admin = Api(emulator, "c1-node2")
    mark = emulator.mark()
    admin.get("/v1/modules")
    admin.put("/v1/cluster", json={"allow_modules_upload": True})
    Api(emulator, "c1-node2", "viewer").get("/v1/nodes")
    admin.get("/v1/modules", auth=("admin@redis.test", "wrong"))
    path = build_zip(tmp_path / "l.zip", metadata("logged"))
    admin.upload(path)
    entries = emulator.requests(mark)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/v1/modules", 200), ("PUT", "/v1/cluster", 200), ("GET", "/v1/nodes", 200), ("GET", "/v1/modules", 401),
        ("POST", ARTIFACTS, 200)]
    assert all(set(e) == {"time", "cluster", "node", "method", "path", "status", "bytes", "user"} for e in entries)
    assert all(e["cluster"] == "c1" and e["node"] == "c1-node2" for e in entries)
    assert [e["user"] for e in entries] == ["admin@redis.test", "admin@redis.test", "viewer@redis.test", None, "admin@redis.test"]
    assert entries[0]["bytes"] == 0 and entries[-1]["bytes"] > os.path.getsize(path)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$", entries[0]["time"])
    assert [e["method"] for e in emulator.writes(mark)] == ["PUT", "POST"]


def test_no_password_in_logs_or_stderr(emulator):
    for user in emulator.users:
        Api(emulator, None, user["role"]).get("/v1/modules")
    Api(emulator).get("/v1/modules", auth=("admin@redis.test", "not-the-password-xyz"))
    emulator.stop()
    blobs = [emulator.stderr()]
    with open(os.path.join(emulator.state_dir, "requests.jsonl")) as handle:
        blobs.append(handle.read())
    for blob in blobs:
        assert "Authorization" not in blob and "Basic " not in blob
        assert "not-the-password-xyz" not in blob
        for user in emulator.users:
            assert user["password"] not in blob


def test_each_cluster_keeps_its_own_state_file(emulator_factory):
    emu = emulator_factory(clusters={"c1": 1, "c2": 1})
    ccs = os.path.join(emu.state_dir, "ccs")
    assert sorted(os.listdir(ccs)) == ["c1.json", "c2.json"]
    untouched = os.stat(os.path.join(ccs, "c2.json")).st_mtime_ns
    time.sleep(0.05)
    admin = Api(emu, "c1-node1")
    admin.allow_uploads(True)
    admin.post(USER_DEFINED, json=metadata("mine")).raise_for_status()
    with open(os.path.join(ccs, "c1.json")) as handle:
        saved = json.load(handle)
    assert saved["settings"]["allow_modules_upload"] is True
    assert [m["module_name"] for m in saved["modules"].values()] == ["mine"]
    assert os.stat(os.path.join(ccs, "c2.json")).st_mtime_ns == untouched
    with open(os.path.join(emu.state_dir, "state.json")) as handle:
        assert sorted(json.load(handle)) == ["software_version", "topology"]


def test_state_dir_of_an_earlier_emulator_is_read(emulator):
    admin = Api(emulator)
    admin.allow_uploads(True)
    mod = admin.post(USER_DEFINED, json=metadata("kept")).json()
    emulator.stop()
    # the layout of release 0.1.0: every cluster's CCS data inside state.json
    ccs = os.path.join(emulator.state_dir, "ccs")
    with open(os.path.join(ccs, "c1.json")) as handle:
        cluster = json.load(handle)
    state_path = os.path.join(emulator.state_dir, "state.json")
    with open(state_path) as handle:
        state = json.load(handle)
    state["clusters"] = {"c1": cluster}
    with open(state_path, "w") as handle:
        json.dump(state, handle)
    os.unlink(os.path.join(ccs, "c1.json"))
    emulator.start()
    admin = Api(emulator)
    assert admin.get("/v1/modules/" + mod["uid"]).json() == mod
    assert admin.get("/v1/cluster").json()["allow_modules_upload"] is True
    assert os.path.exists(os.path.join(ccs, "c1.json"))
