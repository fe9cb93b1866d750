# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest fixtures that run the Redis Enterprise emulator (tests/emulator) in a subprocess.

- ``emulator_factory``: ``start(clusters={"c1": 3}, software_version=None, node_os=None, node_arch=None,
  extra_args=())`` (extra_args: more ``serve`` options, e.g. ``["--bdb-module-fields", "name-only"]``)
  returns a RunningEmulator; every emulator started is stopped at teardown.
- ``emulator``: one cluster "c1" with 3 nodes.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 30.0


class EmulatorStartError(RuntimeError):
    """The emulator did not become ready."""


class RunningEmulator(object):
    """A running emulator process and helpers to talk to it."""

    def __init__(self, state_dir, clusters, software_version=None, node_os=None, node_arch=None, address_base=None, port=9443,
                 extra_args=()):
        self.state_dir = str(state_dir)
        self.cluster_spec = dict(clusters)
        self.software_version = software_version
        self.node_os = dict(node_os or {})
        self.node_arch = dict(node_arch or {})
        self.address_base = address_base or "127.%d.%d.10" % (random.randint(1, 250), random.randint(0, 200))
        self.port = port
        self.extra_args = list(extra_args)
        self.proc = None
        self.ready = None
        self._stderr_path = os.path.join(self.state_dir, "emulator.stderr")
        self._stderr = None

    # --- lifecycle ---------------------------------------------------------------------
    def command(self):
        cmd = [sys.executable, "-m", "tests.emulator", "serve", "--state-dir", self.state_dir,
               "--address-base", self.address_base, "--port", str(self.port)]
        for name, count in self.cluster_spec.items():
            cmd += ["--cluster", "%s:%d" % (name, count)]
        if self.software_version:
            cmd += ["--software-version", self.software_version]
        for node, os_id in sorted(self.node_os.items()):
            cmd += ["--node-os", "%s=%s" % (node, os_id)]
        for node, arch in sorted(self.node_arch.items()):
            cmd += ["--node-arch", "%s=%s" % (node, arch)]
        return cmd + self.extra_args

    def start(self, timeout=READY_TIMEOUT):
        os.makedirs(self.state_dir, exist_ok=True)
        ready_path = os.path.join(self.state_dir, "ready.json")
        if os.path.exists(ready_path):
            os.unlink(ready_path)
        self._stderr = open(self._stderr_path, "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(self.command(), cwd=REPO, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                     stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise EmulatorStartError("emulator exited with code %s before it was ready; stderr:\n%s" % (self.proc.returncode, self.stderr()))
            try:
                with open(ready_path) as handle:
                    ready = json.load(handle)
            except (OSError, ValueError):
                ready = None
            if ready and ready.get("pid") == self.proc.pid:
                self.ready = ready
                return self
            time.sleep(0.05)
        self.stop()
        raise EmulatorStartError("emulator not ready within %.0f s; stderr:\n%s" % (timeout, self.stderr()))

    def stop(self, timeout=15.0):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return self.proc.returncode if self.proc is not None else None

    def restart(self):
        self.stop()
        return self.start()

    def stderr(self):
        try:
            with open(self._stderr_path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # --- what the ready file says ------------------------------------------------------
    @property
    def ca_file(self):
        return self.ready["ca_file"]

    @property
    def control_url(self):
        return self.ready["control_url"]

    def user(self, name_or_role):
        for user in self.ready["users"]:
            if name_or_role in (user["username"], user["role"]) or user["username"].split("@")[0] == name_or_role:
                return dict(user)
        raise KeyError("no emulator user %r" % name_or_role)

    @property
    def users(self):
        return [dict(u) for u in self.ready["users"]]

    @property
    def admin(self):
        return self.user("admin")

    @property
    def viewer(self):
        return self.user("cluster_viewer")

    @property
    def clusters(self):
        return self.ready["clusters"]

    @property
    def nodes(self):
        return [node for cluster in self.ready["clusters"] for node in cluster["nodes"]]

    def node(self, name=None):
        nodes = self.nodes
        if name is None:
            return nodes[0]
        for node in nodes:
            if node["name"] == name:
                return node
        raise KeyError("no emulator node %r" % name)

    def node_url(self, name=None):
        return self.node(name)["url"]

    def conn(self, node=None, user="admin"):
        """Connection parameters for the modules or the client: url, username, password, ca_path."""
        account = self.user(user)
        return {"url": self.node_url(node), "username": account["username"], "password": account["password"],
                "ca_path": self.ca_file}

    # --- request log -------------------------------------------------------------------
    def _log_lines(self):
        try:
            with open(os.path.join(self.state_dir, "requests.jsonl")) as handle:
                return [line for line in handle.read().splitlines() if line.strip()]
        except FileNotFoundError:
            return []

    def mark(self):
        """Current number of log entries (pass it as `since`)."""
        return len(self._log_lines())

    def requests(self, since=0):
        return [json.loads(line) for line in self._log_lines()[since:]]

    def writes(self, since=0):
        return [entry for entry in self.requests(since) if entry["method"] != "GET"]

    # --- faults and inventory ----------------------------------------------------------
    def fault(self, node, action, *args):
        """Inject a fault through the control server: down, up, fail-503 N, slow SECONDS, drop-upload, clear."""
        import urllib.request  # pylint: disable=import-outside-toplevel

        body = json.dumps({"node": node, "action": action, "args": [str(a) for a in args]}).encode()
        req = urllib.request.Request(self.control_url + "/fault", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:  # nosec - loopback control URL
            return json.loads(resp.read().decode())

    @property
    def inventory_path(self):
        """Write the YAML inventory (python -m tests.emulator inventory) and return its path."""
        out = subprocess.run([sys.executable, "-m", "tests.emulator", "inventory", "--state-dir", self.state_dir],
                             cwd=REPO, capture_output=True, text=True, check=True)
        path = os.path.join(self.state_dir, "inventory.yml")
        with open(path, "w") as handle:
            handle.write(out.stdout)
        return path


@pytest.fixture
def emulator_factory(tmp_path):
    """Start emulators on demand; all are stopped at teardown."""
    started = []

    def start(clusters=None, software_version=None, node_os=None, node_arch=None, extra_args=()):
        state_dir = tmp_path / ("emulator%d" % (len(started) + 1))
        emu = RunningEmulator(state_dir, clusters or {"c1": 3}, software_version=software_version,
                              node_os=node_os, node_arch=node_arch, extra_args=extra_args)
        started.append(emu)
        last = None
        for _attempt in range(3):       # a random address base may collide with a stale emulator
            try:
                return emu.start()
            except EmulatorStartError as exc:
                last = exc
                if "cannot listen" not in str(exc):
                    raise
                emu.address_base = "127.%d.%d.10" % (random.randint(1, 250), random.randint(0, 200))
        raise last

    start.started = started
    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(emulator_factory):
    """One cluster "c1" with three nodes."""
    return emulator_factory(clusters={"c1": 3})
