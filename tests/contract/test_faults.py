# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: fault injection (control server and the `fault` CLI)."""

import json
import subprocess
import sys
import time

import pytest
import requests

from tests.contract.helpers import ARTIFACTS, Api, assert_error, build_zip, metadata
from tests.pytest_emulator import REPO


@pytest.fixture(scope="module")
def fault_emu(tmp_path_factory):
    from tests.pytest_emulator import RunningEmulator  # pylint: disable=import-outside-toplevel

    emu = RunningEmulator(tmp_path_factory.mktemp("faults"), {"c1": 2})
    emu.start()
    Api(emu).allow_uploads(True)
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _clear(fault_emu):
    yield
    for node in fault_emu.nodes:
        fault_emu.fault(node["name"], "clear")


def test_down_refuses_connections_then_up(fault_emu):
    api = Api(fault_emu, "c1-node2")
    assert api.get("/v1/nodes").status_code == 200     # opens a keep-alive connection too
    state = fault_emu.fault("c1-node2", "down")
    assert state["down"] is True
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/v1/nodes")
    assert Api(fault_emu, "c1-node1").get("/v1/nodes").status_code == 200
    fault_emu.fault("c1-node2", "up")
    assert api.get("/v1/nodes").status_code == 200


def test_fail_503_n_times(fault_emu):
    api = Api(fault_emu, "c1-node1")
    fault_emu.fault("c1-node1", "fail-503", 2)
    assert_error(api.get("/v1/modules"), 503, "node_unavailable")
    assert_error(api.get("/v1/modules", auth=None), 503, "node_unavailable")   # before authentication
    assert api.get("/v1/modules").status_code == 200


def test_fail_503_on_upload_drains_body(fault_emu, tmp_path):
    api = Api(fault_emu, "c1-node1")
    fault_emu.fault("c1-node1", "fail-503", 1)
    path = build_zip(tmp_path / "f.zip", metadata("f503"))
    assert_error(api.upload(path), 503, "node_unavailable")
    assert api.upload(path).status_code == 200


def test_slow(fault_emu):
    api = Api(fault_emu, "c1-node1")
    fault_emu.fault("c1-node1", "slow", 0.4)
    start = time.monotonic()
    assert api.get("/v1/cluster").status_code == 200
    assert time.monotonic() - start >= 0.4
    fault_emu.fault("c1-node1", "slow", 0)
    start = time.monotonic()
    api.get("/v1/cluster")
    assert time.monotonic() - start < 0.4


def test_drop_upload_closes_mid_body(fault_emu, tmp_path):
    api = Api(fault_emu, "c1-node2")
    path = build_zip(tmp_path / "d.zip", metadata("dropped"), so=b"\x7fELF" + b"\x02\x01\x01" + b"\0" * 4 * 1024 * 1024)
    mark = fault_emu.mark()
    fault_emu.fault("c1-node2", "drop-upload")
    assert api.get(ARTIFACTS).status_code == 200    # only uploads are affected
    with pytest.raises(requests.exceptions.ConnectionError):
        api.upload(path)
    dropped = [e for e in fault_emu.requests(mark) if e["method"] == "POST"]
    assert dropped[-1]["status"] == 0 and 0 < dropped[-1]["bytes"]
    assert api.get(ARTIFACTS).json() == []
    ok = build_zip(tmp_path / "ok.zip", metadata("dropped"))
    assert api.upload(ok).status_code == 200


def test_clear_resets_everything(fault_emu):
    fault_emu.fault("c1-node1", "fail-503", 5)
    fault_emu.fault("c1-node1", "slow", 3)
    fault_emu.fault("c1-node1", "drop-upload")
    fault_emu.fault("c1-node1", "action-time", 7)
    fault_emu.fault("c1-node1", "fail-upgrade")
    fault_emu.fault("c1-node1", "abort-upgrade")
    fault_emu.fault("c1-node1", "enforce-upload-limit")
    fault_emu.fault("c1-node1", "down")
    state = fault_emu.fault("c1-node1", "clear")
    assert state == {"node": "c1-node1", "down": False, "fail_503": 0, "slow": 0.0, "drop_upload": 0, "action_time": 0.3,
                     "fail_upgrade": 0, "upgrade_outcomes": [], "enforce_upload_limit": False}
    assert Api(fault_emu, "c1-node1").get("/v1/cluster").status_code == 200


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tests.emulator"] + list(args), cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_fault_cli(fault_emu):
    out = _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "c1-node1", "fail-503", "1")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["fail_503"] == 1
    assert Api(fault_emu, "c1-node1").get("/v1/cluster").status_code == 503
    assert _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "nope", "down").returncode != 0
    assert _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "c1-node1", "slow").returncode != 0
    out = _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "c1-node1", "fail-upgrade")
    assert out.returncode == 0 and json.loads(out.stdout)["fail_upgrade"] == 1, out.stderr
    out = _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "c1-node1", "action-time", "2.5")
    assert out.returncode == 0 and json.loads(out.stdout)["action_time"] == 2.5, out.stderr
    assert _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "c1-node1", "action-time").returncode != 0
    assert _cli("fault", "--state-dir", fault_emu.state_dir, "--node", "c1-node1", "clear").returncode == 0
