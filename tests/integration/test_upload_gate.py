# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_cluster_upload_gate through real ansible-playbook runs against the emulator.

Every test checks the setting through the cluster's REST API and, where nothing may be written,
the emulator's request log.
"""

import json
import os

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, "playbooks", "upload_gate.yml")
TEMPORARY = os.path.join(HERE, "playbooks", "upload_gate_temporary.yml")

pytestmark = pytest.mark.slow


def setting(emu):
    """allow_modules_upload as GET /v1/cluster shows it to the admin (None when absent)."""
    conn = emu.conn()
    response = requests.get(conn["url"] + "/v1/cluster", auth=(conn["username"], conn["password"]),
                            verify=conn["ca_path"], timeout=30)
    assert response.status_code == 200, response.text
    return response.json().get("allow_modules_upload")


def calls(entries):
    return [(entry["method"], entry["path"]) for entry in entries]


@pytest.fixture
def play(ansible_run, emulator, tmp_path):
    """Run a playbook as `user` (or with `password`); return (registered result, the run)."""
    counter = [0]

    def run(playbook=PLAYBOOK, user="admin", password=None, emu=None, rc=0, check=False, diff=False, verbosity=0,
            **extra_vars):
        emu = emu or emulator
        counter[0] += 1
        result_file = tmp_path / ("result%d.json" % counter[0])
        conn = emu.conn(user=user)
        extra = dict(re_url=conn["url"], re_username=conn["username"], re_password=password or conn["password"],
                     re_ca_path=conn["ca_path"], result_file=str(result_file))
        extra.update(extra_vars)
        proc = ansible_run(playbook, extra_vars=extra, check=check, diff=diff, verbosity=verbosity)
        assert proc.rc == rc, proc
        assert "Traceback" not in proc.output, proc
        assert (password or conn["password"]) not in proc.output, proc
        with open(str(result_file)) as handle:
            return json.load(handle), proc

    return run


def test_check_enable_reenable_restore(play, emulator):
    assert setting(emulator) is False

    mark = emulator.mark()
    result, proc = play(gate_allowed=True, check=True, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert result["previous"] is False and result["allowed"] is True and result["supported"] is True
    assert result["diff"] == {"before": {"allow_modules_upload": False}, "after": {"allow_modules_upload": True}}
    assert '+    "allow_modules_upload": true' in proc.stdout, proc
    assert calls(emulator.requests(mark)) == [("GET", "/v1/cluster")]
    assert setting(emulator) is False

    mark = emulator.mark()
    result, _proc = play(gate_allowed=True)
    assert result["changed"] is True and result["previous"] is False and result["allowed"] is True
    assert calls(emulator.writes(mark)) == [("PUT", "/v1/cluster")]
    assert setting(emulator) is True

    mark = emulator.mark()
    result, _proc = play(gate_allowed=True)
    assert result["changed"] is False and result["previous"] is True and result["allowed"] is True
    assert calls(emulator.requests(mark)) == [("GET", "/v1/cluster")]

    # Restore to what it was before the run, the way a play does it: allowed = the first run's previous.
    mark = emulator.mark()
    result, _proc = play(gate_allowed=False)
    assert result["changed"] is True and result["previous"] is True and result["allowed"] is False
    assert calls(emulator.writes(mark)) == [("PUT", "/v1/cluster")]
    assert setting(emulator) is False

    mark = emulator.mark()
    result, _proc = play(gate_allowed=False, check=True)
    assert result["changed"] is False and emulator.writes(mark) == []


def test_cluster_without_the_setting(play, emulator_factory):
    emu = emulator_factory(clusters={"c1": 1}, software_version="8.0.10-81")
    assert setting(emu) is None

    result, proc = play(emu=emu, gate_allowed=True, diff=True)
    assert result["changed"] is False and not result.get("failed"), result
    assert result["supported"] is False and result["previous"] is None and result["allowed"] is None
    assert "warnings" not in result

    result, proc = play(emu=emu, gate_allowed=False)
    assert result["changed"] is False and result["supported"] is False
    assert "no allow_modules_upload setting" in proc.output and "cannot be made to refuse" in proc.output, proc
    assert calls(emu.requests()) == [("GET", "/v1/cluster")] * 3  # setting() above, then one per run


def test_viewer_gets_a_clear_error(play, emulator):
    mark = emulator.mark()
    result, _proc = play(user="cluster_viewer", gate_allowed=True)
    assert result["failed"] is True and result["status"] == 403
    assert result["method"] == "PUT" and result["path"] == "/v1/cluster"
    assert "update_cluster" in result["msg"] and "admin role" in result["msg"], result["msg"]
    assert [(entry["method"], entry["status"]) for entry in emulator.requests(mark)] == [("GET", 200), ("PUT", 403)]
    assert setting(emulator) is False

    # Nothing to change: reading is open to every role, so the viewer's task succeeds without a write.
    mark = emulator.mark()
    result, _proc = play(user="cluster_viewer", gate_allowed=False)
    assert result["changed"] is False and not result.get("failed") and emulator.writes(mark) == []


def test_bad_password(play, emulator):
    mark = emulator.mark()
    result, _proc = play(password="Wrong-Passw0rd-gate", gate_allowed=True)
    assert result["failed"] is True and result["status"] == 401 and "username and password" in result["msg"]
    assert emulator.writes(mark) == [] and setting(emulator) is False


def test_missing_allowed_fails_before_any_request(play, emulator):
    mark = emulator.mark()
    result, _proc = play()
    assert result["failed"] is True and "missing required arguments: allowed" in result["msg"]
    assert emulator.requests(mark) == []


def test_temporary_pattern_restores_even_after_a_failure(play, emulator, testmodules):
    artifact = testmodules.v1["path"]
    mark = emulator.mark()
    result, _proc = play(playbook=TEMPORARY, gate_artifact=artifact, fail_between=True, rc=2)
    assert result["open"]["changed"] is True and result["open"]["previous"] is False
    assert result["restore"]["changed"] is True and result["restore"]["allowed"] is False
    assert setting(emulator) is False
    assert calls(emulator.writes(mark)) == [("PUT", "/v1/cluster"), ("POST", "/v2/modules/user-defined"),
                                            ("PUT", "/v1/cluster")]

    # Uploads already allowed: the run neither opens nor restores anything.
    emulator_conn = emulator.conn()
    requests.put(emulator_conn["url"] + "/v1/cluster", json={"allow_modules_upload": True}, timeout=30,
                 auth=(emulator_conn["username"], emulator_conn["password"]), verify=emulator_conn["ca_path"])
    mark = emulator.mark()
    result, _proc = play(playbook=TEMPORARY, gate_artifact=artifact)
    assert result["open"]["changed"] is False and result["open"]["previous"] is True
    assert result["restore"].get("skipped") is True
    assert emulator.writes(mark) == [] and setting(emulator) is True


def test_password_never_shown_at_vvvv(play, emulator):
    secrets = [emulator.conn()["password"], emulator.conn(user="cluster_viewer")["password"], "Wrong-Passw0rd-gate"]
    runs = [
        play(gate_allowed=True, verbosity=4, diff=True),
        play(user="cluster_viewer", gate_allowed=False, verbosity=4),
        play(password="Wrong-Passw0rd-gate", gate_allowed=False, verbosity=4),
    ]
    assert runs[0][0]["changed"] is True
    assert runs[1][0]["failed"] is True and runs[1][0]["status"] == 403
    assert runs[2][0]["failed"] is True and runs[2][0]["status"] == 401
    for _result, proc in runs:
        with open(proc.log_path) as handle:
            log = handle.read()
        assert "redis_cluster_upload_gate" in log  # the log is the -vvvv one, not an empty file
        for secret in secrets:
            assert secret not in log and secret not in proc.output
        assert "Authorization" not in proc.output
