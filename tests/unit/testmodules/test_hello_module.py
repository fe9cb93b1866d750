# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hello test module is real: it loads into a real redis-server, its packages are what Redis'
own packer (ramp-packer) accepts and produces, and _artifact accepts what ramp pack writes."""

import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _artifact
from tests.pytest_testmodules import BUILD_SCRIPT, TestModules, redis_server_with_module

RAMP_FIELDS = ("module_name", "version", "semantic_version", "display_name", "author", "email", "description", "homepage",
               "license", "command_line_args", "commands", "capabilities", "min_redis_version", "compatible_redis_version",
               "min_redis_pack_version", "architecture", "operating_systems", "module_file", "ramp_format_version", "dependencies")
RAMP_CAPABILITIES = {"types", "no_multi_key", "replica_of", "backup_restore", "eviction_expiry", "reshard_rebalance",
                     "failover_migrate", "persistence_aof", "persistence_rdb", "hash_policy", "flash", "crdb", "clustering",
                     "intershard_tls", "intershard_tls_pass", "ipv6"}
EXPECTED_COMMANDS = {
    "hello.ping": {"first_key": 0, "last_key": 0, "step": 0, "flags": ["readonly", "module", "fast"]},
    "hello.get": {"first_key": 1, "last_key": 1, "step": 1, "flags": ["readonly", "module", "fast"]},
    "hello.set": {"first_key": 1, "last_key": 1, "step": 1, "flags": ["write", "denyoom", "module"]},
}
X86_KEYS = ("hello-1.0.0", "hello-2.0.0", "hello-1.0.0-rhel8", "hello-1.0.0-withdeps")
WITHDEPS_FILE = "deps/hello-data.Linux-ubuntu22.04-x86_64.1.0.0.tgz"

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed (Debian package redis-server)")


def read_metadata(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("module.json"))


# --- the packages and the manifest ---

def test_manifest_lists_every_package(testmodules):
    expected = {"hello-1.0.0", "hello-2.0.0", "hello-1.0.0-rhel8", "hello-1.0.0-aarch64", "hello-1.0.0-withdeps"}
    assert set(testmodules) | set(testmodules.skipped) == expected
    for key, entry in testmodules.items():
        with open(entry["path"], "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == entry["sha256"], key
        assert entry["file"] == key + ".zip" and os.path.dirname(entry["path"]) == testmodules.dir
        metadata = read_metadata(entry["path"])
        for field in ("module_name", "version", "semantic_version", "architecture", "operating_systems"):
            assert metadata[field] == entry[field], (key, field)


def test_versions_and_platforms(testmodules):
    assert (testmodules.v1["version"], testmodules.v1["semantic_version"]) == (10000, "1.0.0")
    assert (testmodules.v2["version"], testmodules.v2["semantic_version"]) == (20000, "2.0.0")
    assert testmodules.v1["operating_systems"] == testmodules.v2["operating_systems"] == ["rhel9", "ubuntu22"]
    assert testmodules.rhel8["operating_systems"] == ["rhel8"]
    assert testmodules.rhel8["so_sha256"] == testmodules.v1["so_sha256"], "the rhel8 package differs only in its metadata"
    aarch64 = testmodules.require_aarch64()
    assert (aarch64["architecture"], aarch64["version"]) == ("aarch64", 10000)


def test_zip_layout_and_modes(testmodules):
    for key, entry in testmodules.items():
        with zipfile.ZipFile(entry["path"]) as archive:
            infos = {info.filename: info for info in archive.infolist()}
        extra = ["deps/", WITHDEPS_FILE] if key == "hello-1.0.0-withdeps" else []
        assert sorted(infos) == sorted(["hello.so", "module.json"] + extra), key
        if extra:
            assert stat.S_ISDIR(infos["deps/"].external_attr >> 16) and infos["deps/"].file_size == 0
        assert stat.S_IMODE(infos["hello.so"].external_attr >> 16) == 0o755, key
        assert stat.S_ISREG(infos["hello.so"].external_attr >> 16), key


def test_module_json_is_complete(testmodules):
    for key, entry in testmodules.items():
        metadata = read_metadata(entry["path"])
        assert set(RAMP_FIELDS) <= set(metadata), (key, set(RAMP_FIELDS) - set(metadata))
        assert isinstance(metadata["version"], int)
        assert metadata["module_file"] == "hello.so" and metadata["ramp_format_version"] == 1
        if key != "hello-1.0.0-withdeps":
            assert metadata["dependencies"] == {}, key
        assert metadata["min_redis_version"] == "7.0"
        assert set(metadata["capabilities"]) <= RAMP_CAPABILITIES
        commands = {c["command_name"]: c for c in metadata["commands"]}
        assert set(commands) == set(EXPECTED_COMMANDS)
        for name, expected in EXPECTED_COMMANDS.items():
            assert {k: commands[name][k] for k in expected} == expected, (key, name)
            assert commands[name]["command_arity"] == -1  # what Redis 7 reports for module commands


def test_withdeps_package_is_shaped_like_redisgears(testmodules):
    """module.json keeps the url; the file is deps/<last path segment of the url>, with a matching sha256; a real tgz."""
    entry = testmodules.withdeps
    metadata = read_metadata(entry["path"])
    (name, spec), = metadata["dependencies"].items()
    assert (entry["dependencies"], entry["dependency_files"]) == ([name], [WITHDEPS_FILE])
    assert "deps/" + spec["url"].rsplit("/", 1)[1] == WITHDEPS_FILE
    with zipfile.ZipFile(entry["path"]) as archive:
        data = archive.read(WITHDEPS_FILE)
    assert hashlib.sha256(data).hexdigest() == spec["sha256"]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert tar.getnames() == ["%s/README" % name]
    with zipfile.ZipFile(testmodules.v1["path"]) as plain, zipfile.ZipFile(entry["path"]) as withdeps:
        assert plain.read("hello.so") == withdeps.read("hello.so"), "the same real module, with a dependency added"


def test_elf_matches_declared_architecture(testmodules):
    machines = {"x86_64": 62, "aarch64": 183}
    for key, entry in testmodules.items():
        with zipfile.ZipFile(entry["path"]) as archive:
            header = archive.read("hello.so")[:20]
        assert header[:4] == b"\x7fELF" and header[4] == 2 and int.from_bytes(header[16:18], "little") == 3, key
        assert int.from_bytes(header[18:20], "little") == machines[entry["architecture"]], key


# --- loaded into a real redis-server ---

@needs_redis
@pytest.mark.redis_server
@pytest.mark.parametrize("key, semver, version", [("hello-1.0.0", "1.0.0", 10000), ("hello-2.0.0", "2.0.0", 20000)])
def test_module_loads_and_answers(testmodules, tmp_path, key, semver, version):
    so_path = testmodules.extract_so(key, str(tmp_path / "pkg"))
    with redis_server_with_module(so_path, str(tmp_path / "redis")) as client:
        assert client.execute_command("HELLO.PING") == "PONG " + semver
        assert client.execute_command("HELLO.GET", "greeting") is None
        assert client.execute_command("HELLO.SET", "greeting", "hi there") == "OK"
        assert client.execute_command("HELLO.GET", "greeting") == "hi there"
        assert client.get("greeting") == "hi there", "HELLO.SET writes an ordinary string key"
        client.lpush("alist", "x")
        with pytest.raises(Exception, match="WRONGTYPE"):
            client.execute_command("HELLO.GET", "alist")
        with pytest.raises(Exception, match="wrong number of arguments"):
            client.execute_command("HELLO.SET", "only-a-key")
        modules = client.execute_command("MODULE", "LIST")
        # Redis 8 also lists its built-in modules (vectorset), with an empty path
        assert [(m["name"], m["ver"]) for m in _as_dicts(modules) if m.get("path") != ""] == [("hello", version)]


@needs_redis
@pytest.mark.redis_server
def test_command_info_matches_module_json(testmodules, tmp_path):
    so_path = testmodules.extract_so("hello-1.0.0", str(tmp_path / "pkg"))
    commands = read_metadata(testmodules.v1["path"])["commands"]
    with redis_server_with_module(so_path, str(tmp_path / "redis")) as client:
        for command in commands:
            info = client.execute_command("COMMAND", "INFO", command["command_name"])[command["command_name"]]  # parsed by redis-py
            assert [info["name"], info["arity"], list(info["flags"]), info["first_key_pos"], info["last_key_pos"], info["step_count"]] == [
                command["command_name"], command["command_arity"], command["flags"],
                command["first_key"], command["last_key"], command["step"]]


@needs_redis
@pytest.mark.redis_server
def test_redis_refuses_the_aarch64_build(testmodules, tmp_path):
    """The wrong-architecture twin is real: Redis will not load it (with a misleading message)."""
    testmodules.require_aarch64()
    so_path = testmodules.extract_so("hello-1.0.0-aarch64", str(tmp_path / "pkg"))
    with pytest.raises(RuntimeError, match="Module .* failed to load"):
        with redis_server_with_module(so_path, str(tmp_path / "redis")):
            pass


def _as_dicts(modules):
    """MODULE LIST entries as dicts whatever the client's reply parsing (flat pairs or dicts)."""
    result = []
    for module in modules:
        if not isinstance(module, dict):
            module = dict(zip(module[::2], module[1::2]))
        result.append(module)
    return result


# --- Redis' own packer: ramp-packer ---

def test_ramp_unpacker_accepts_every_package(testmodules):
    unpacker = pytest.importorskip("RAMP.unpacker")
    for key, entry in testmodules.items():
        with open(entry["path"], "rb") as handle:
            metadata, module, deps = unpacker.unpack(handle)
            assert module.read() == _so_bytes(entry["path"]), key
        assert (metadata["module_name"], metadata["version"]) == ("hello", entry["version"]), key
        assert sorted(deps) == entry.get("dependency_files", []), key
        assert [os_entry["name"] for os_entry in metadata["operating_systems"]] == [
            "".join(c for c in name if not c.isdigit()) for name in entry["operating_systems"]]


@needs_redis
@pytest.mark.redis_server
def test_artifact_accepts_what_ramp_pack_writes(testmodules, tmp_path):
    ramp = os.path.join(os.path.dirname(sys.executable), "ramp")
    if not os.path.exists(ramp):
        pytest.skip("ramp-packer is not installed in this Python environment (requirements-dev.txt)")
    so_path = testmodules.extract_so("hello-1.0.0", str(tmp_path / "so"))
    out = str(tmp_path / "ramp-hello.zip")
    result = subprocess.run([ramp, "pack", so_path, "-o", out, "-D", "ramp-made"], cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert result.returncode == 0, result.stdout.decode()
    raw = read_metadata(out)
    assert raw["version"] == 10000.0 and isinstance(raw["version"], float), "the packer quirk this test is about"
    pkg = _artifact.inspect_package(out)
    assert pkg.identity() == {"module_name": "hello", "version": 10000, "semantic_version": "1.0.0"}
    assert pkg.architecture == "x86_64" and pkg.module_file == "hello.so"
    # our packer reads the same commands from the server as Redis' own does
    ours = sorted(read_metadata(testmodules.v1["path"])["commands"], key=lambda c: c["command_name"])
    assert sorted(raw["commands"], key=lambda c: c["command_name"]) == ours


def _so_bytes(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("hello.so")


# --- build.py itself ---

@needs_redis
@pytest.mark.redis_server
def test_build_is_reproducible_and_skips_when_up_to_date(testmodules, tmp_path):
    out = str(tmp_path / "out")
    first = subprocess.run([sys.executable, BUILD_SCRIPT, "--out", out], stdout=subprocess.PIPE, check=True).stdout.decode()
    second = subprocess.run([sys.executable, BUILD_SCRIPT, "--out", out], stdout=subprocess.PIPE, check=True).stdout.decode()
    assert first.startswith("built: ") and second.startswith("up to date: ")
    for key, entry in testmodules.items():
        with open(os.path.join(out, entry["file"]), "rb") as mine, open(entry["path"], "rb") as theirs:
            assert mine.read() == theirs.read(), "%s is not byte-for-byte reproducible" % key


@needs_redis
@pytest.mark.redis_server
def test_build_without_cross_compiler_skips_aarch64(tmp_path):
    out = str(tmp_path / "out")
    env = dict(os.environ, AARCH64_CC="no-such-aarch64-gcc")
    result = subprocess.run([sys.executable, BUILD_SCRIPT, "--out", out], stdout=subprocess.PIPE, env=env, check=True)
    assert "skipped hello-1.0.0-aarch64: no-such-aarch64-gcc not found" in result.stdout.decode()
    with open(os.path.join(out, "manifest.json")) as handle:
        modules = TestModules(out, json.load(handle))
    assert modules.aarch64 is None and sorted(modules) == sorted(X86_KEYS)
    with pytest.raises(pytest.skip.Exception, match="gcc-aarch64-linux-gnu"):
        modules.require_aarch64()
