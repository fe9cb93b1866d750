# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: the real `hello` test module packages (built by tests/testmodules/build.py).

Fixture `testmodules` (session): builds into build/testmodules when the packages are missing or
stale, and returns a TestModules mapping:

    testmodules["hello-1.0.0"]["path"]     absolute path of the zip (also: module_name, version,
                                           semantic_version, architecture, operating_systems, sha256)
    testmodules.v1, .v2, .rhel8            the hello-1.0.0 / hello-2.0.0 / hello-1.0.0-rhel8 entries
    testmodules.withdeps                   hello-1.0.0-withdeps: shaped like RedisGears' -withdeps packages (a url
                                           dependency stored as deps/<last segment of the url>; also: dependencies,
                                           dependency_files)
    testmodules.aarch64                    the hello-1.0.0-aarch64 entry, or None without a cross compiler
    testmodules.require_aarch64()          that entry, or pytest.skip() saying why it is missing
    testmodules.extract_so(key, dest_dir)  the package's .so extracted (mode 0755), ready for --loadmodule

`repack(src, dest, **fields)` copies a package with module.json fields changed (None removes a field).

`redis_server_with_module(so_path, workdir)` is a context manager running a throwaway real
redis-server (unix socket, no persistence) with the module loaded; it yields a `redis.Redis` client.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_SCRIPT = os.path.join(REPO, "tests", "testmodules", "build.py")
# TESTMODULES_DIR: another output directory (.ci/core.sh gives each Python its own: gcc and Redis differ between them).
OUT_DIR = os.environ.get("TESTMODULES_DIR") or os.path.join(REPO, "build", "testmodules")
AARCH64_KEY = "hello-1.0.0-aarch64"


class TestModules(dict):
    """Manifest entries by key (e.g. 'hello-1.0.0'), with absolute paths."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, out_dir, manifest):
        super().__init__()
        self.dir = out_dir
        self.manifest = manifest
        self.skipped = dict(manifest.get("skipped", {}))
        for key, entry in manifest["packages"].items():
            entry = dict(entry, key=key, file=entry["path"], path=os.path.join(out_dir, entry["path"]))
            self[key] = entry

    @property
    def v1(self):
        return self["hello-1.0.0"]

    @property
    def v2(self):
        return self["hello-2.0.0"]

    @property
    def rhel8(self):
        return self["hello-1.0.0-rhel8"]

    @property
    def withdeps(self):
        return self["hello-1.0.0-withdeps"]

    @property
    def aarch64(self):
        return self.get(AARCH64_KEY)

    def require_aarch64(self):
        if self.aarch64 is None:
            pytest.skip("no aarch64 test package: %s" % self.skipped.get(AARCH64_KEY, "not built"))
        return self.aarch64

    def extract_so(self, key, dest_dir):
        """Extract the package's module file to dest_dir; zipfile drops the mode, Redis needs +x."""
        entry = self[key]
        with zipfile.ZipFile(entry["path"]) as archive:
            target = archive.extract(entry["module_file"], dest_dir)
        os.chmod(target, 0o755)
        return target


def repack(src, dest, **fields):
    """A copy of the package src at dest with module.json fields changed (None: field removed); returns dest."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(str(dest), "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "module.json":
                meta = json.loads(data.decode("utf-8"))
                for key, value in fields.items():
                    if value is None:
                        meta.pop(key, None)
                    else:
                        meta[key] = value
                data = json.dumps(meta).encode("utf-8")
            new.writestr(info, data)
    return str(dest)


def build_testmodules(out_dir=OUT_DIR):
    """Run build.py (a no-op when up to date) and return the parsed manifest."""
    for tool, package in (("gcc", "gcc"), ("redis-server", "redis-server")):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (Debian package %s): cannot build the hello test module" % (tool, package))
    result = subprocess.run([sys.executable, BUILD_SCRIPT, "--out", out_dir], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        pytest.fail("tests/testmodules/build.py failed:\n%s" % result.stdout.decode("utf-8", "replace"), pytrace=False)
    with open(os.path.join(out_dir, "manifest.json")) as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def testmodules():
    return TestModules(OUT_DIR, build_testmodules(OUT_DIR))


def _accepts_connections(sock_path):
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(sock_path)
        return True
    except OSError:
        return False
    finally:
        probe.close()


@contextlib.contextmanager
def redis_server_with_module(so_path, workdir, module_args=()):
    """A real redis-server with `so_path` loaded at start-up; yields a redis.Redis client on its unix socket."""
    import redis  # installed with ramp-packer; imported here so the plugin loads without it

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    so_path = os.path.abspath(so_path)  # --dir changes the server's working directory
    os.makedirs(workdir, exist_ok=True)
    sock = os.path.join(workdir, "redis.sock")
    log_path = os.path.join(workdir, "redis.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([binary, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
                                 "--dir", workdir, "--loadmodule", so_path] + list(module_args),
                                stdout=log, stderr=subprocess.STDOUT)
    client = redis.Redis(unix_socket_path=sock, decode_responses=True)
    try:
        # Redis opens its socket before it loads modules, so a server about to exit on a module that
        # does not load may still accept a first connection: it is ready once a PING is answered.
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                with open(log_path) as log:
                    raise RuntimeError("redis-server exited (%s) loading %s:\n%s" % (proc.returncode, so_path, log.read()))
            if _accepts_connections(sock):
                try:
                    client.ping()
                    break
                except redis.exceptions.ConnectionError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer on %s within 10 s" % sock)
            time.sleep(0.01)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(10)
