# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs real ansible-playbook processes against the emulator.

`ansible_run(playbook, ...)` writes nothing into the repo: the playbook may be a path or YAML text,
and each run gets its own temporary directory for the rendered playbook, inventory and log.
"""

import json
import os
import subprocess
import sys

import pytest
import requests

from tests.conftest import COLLECTIONS


class PlaybookRun(object):
    def __init__(self, proc, log_path):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.output = proc.stdout + proc.stderr
        # ansible-core before 2.19 wraps warnings and errors at 79 columns: compare message text
        # with flat_output, where every run of whitespace is one space.
        self.flat_output = " ".join(self.output.split())
        self.log_path = log_path

    def __repr__(self):
        return "PlaybookRun(rc=%s)\n--- stdout ---\n%s\n--- stderr ---\n%s" % (self.rc, self.stdout[-6000:], self.stderr[-3000:])


def deprecations(output):
    """The deprecation warnings ansible-core printed (each from its marker to the next blank line or marker)."""
    return [part.split("\n\n")[0].strip() for part in output.split("[DEPRECATION WARNING]")[1:]]


def assert_no_deprecation(run):
    found = deprecations(run.output)
    assert not found, "ansible-core printed %d deprecation warning(s):\n%s" % (len(found), "\n".join(found[:5]))


def ansible_env(tmp_path, extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_HOME": str(tmp_path / "ansible_home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible_tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible_remote_tmp"),
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        # Deprecations are shown, and a run that prints one fails its test (see ansible_run): a user of any supported
        # ansible-core must see none caused by this collection.
        "ANSIBLE_DEPRECATION_WARNINGS": "true",
        "ANSIBLE_LOG_PATH": str(tmp_path / "ansible.log"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    for key in [k for k in env if k.startswith("REDIS_ENTERPRISE_")]:
        del env[key]
    if extra:
        env.update(extra)
    return env


@pytest.fixture
def ansible_run(tmp_path):
    """Return a function running ansible-playbook; the result has rc, stdout, stderr, output."""
    counter = [0]

    def run(playbook, inventory=None, extra_vars=None, check=False, diff=False, verbosity=0,
            env=None, args=None, limit=None, timeout=600, allow_deprecations=False):
        counter[0] += 1
        work = tmp_path / ("run%d" % counter[0])
        work.mkdir()
        if "\n" in playbook:
            path = work / "playbook.yml"
            path.write_text(playbook)
            playbook = str(path)
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook]
        if inventory is None:
            inventory = "localhost,"
        cmd += ["-i", str(inventory)]
        if extra_vars:
            ev = work / "extra_vars.json"
            ev.write_text(json.dumps(extra_vars))
            cmd += ["-e", "@%s" % ev]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if limit:
            cmd += ["--limit", limit]
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        cmd += list(args or [])
        proc = subprocess.run(cmd, cwd=str(work), env=ansible_env(work, env), capture_output=True, check=False,
                              text=True, timeout=timeout)
        result = PlaybookRun(proc, str(work / "ansible.log"))
        if not allow_deprecations:
            assert_no_deprecation(result)
        return result

    return run


def api_get(emulator, node, path):
    """GET path on a node of the emulator with its admin credentials and CA; asserts 200 and returns the JSON."""
    conn = emulator.conn(node=node)
    response = requests.get(conn["url"] + path, auth=(conn["username"], conn["password"]), verify=conn["ca_path"], timeout=30)
    assert response.status_code == 200, (node, path, response.status_code, response.text)
    return response.json()


@pytest.fixture
def listener():
    """Make plain TCP listeners (test_url_refusal.Listener) that count connections; closed after the test."""
    from tests.integration.test_url_refusal import Listener
    created = []

    def make(answer=None):
        created.append(Listener(answer))
        return created[-1]

    yield make
    for item in created:
        item.close()
