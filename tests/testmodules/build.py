# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the real `hello` test module and package it as Redis Enterprise (RAMP) zips.

    python tests/testmodules/build.py --out build/testmodules [--force]

Compiles hello.c with gcc (and with aarch64-linux-gnu-gcc when it is installed), loads each
x86_64 build into a throwaway redis-server to read the module's name, version and commands
(MODULE LIST, COMMAND INFO: what Redis' own packer does), writes module.json and zips it with the
.so. The output directory then holds the packages and manifest.json describing them. A second run
with unchanged inputs does nothing.
"""

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import gzip
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ("hello.c", "hello_api.h", "build.py")
MANIFEST_FORMAT = 1
MODULE_FILE = "hello.so"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps keep the zips byte-for-byte reproducible
CFLAGS = ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"]
NATIVE_CC = os.environ.get("CC", "gcc")
AARCH64_CC = os.environ.get("AARCH64_CC", "aarch64-linux-gnu-gcc")
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")

# Metadata the packer cannot discover; RAMP takes the same from a ramp.yml manifest.
STATIC_METADATA = {
    "display_name": "Hello (test module)",
    "capability_name": "Hello test module",
    "author": "redisops.custom_modules contributors",
    "email": "maintainers@example.invalid",
    "description": "A minimal real Redis module (HELLO.PING, HELLO.SET, HELLO.GET) used to test redisops.custom_modules.",
    "homepage": "https://example.invalid/redisops/custom_modules",
    "license": "GPL-3.0-or-later",
    "command_line_args": "",
    # plain string keys, one key per command, no custom data type: everything a sharded,
    # replicated, persisted database needs, and nothing it would have to special-case
    "capabilities": [
        "no_multi_key", "replica_of", "backup_restore", "eviction_expiry", "reshard_rebalance",
        "failover_migrate", "persistence_aof", "persistence_rdb", "hash_policy", "clustering",
        "intershard_tls", "ipv6",
    ],
    "min_redis_version": "7.0",
    "compatible_redis_version": "8.2",
    "min_redis_pack_version": "8.0.2",
    "os": "Linux",
    "ramp_format_version": 1,
    "dependencies": {},
}
DEFAULT_OS = ["rhel9", "ubuntu22"]

# Shaped like RedisGears' -withdeps packages: module.json keeps each dependency's url, and the file is stored as
# deps/<last path segment of the url>, after a deps/ directory entry. The dependency is a small real tarball.
WITHDEPS_NAME = "hello_data"
WITHDEPS_FILE = "hello-data.Linux-ubuntu22.04-x86_64.1.0.0.tgz"
WITHDEPS_URL = "https://example.invalid/redisops/hello/" + WITHDEPS_FILE
WITHDEPS = {WITHDEPS_NAME: WITHDEPS_URL}

# (manifest key, semantic version, architecture, operating systems, dependencies {name: url})
PACKAGES = [
    ("hello-1.0.0", "1.0.0", "x86_64", DEFAULT_OS, {}),
    ("hello-2.0.0", "2.0.0", "x86_64", DEFAULT_OS, {}),
    ("hello-1.0.0-aarch64", "1.0.0", "aarch64", DEFAULT_OS, {}),
    ("hello-1.0.0-rhel8", "1.0.0", "x86_64", ["rhel8"], {}),
    ("hello-1.0.0-withdeps", "1.0.0", "x86_64", DEFAULT_OS, WITHDEPS),
]


class BuildError(Exception):
    pass


def numeric_version(semver):
    major, minor, patch = (int(part) for part in semver.split("."))
    return major * 10000 + minor * 100 + patch


def tool_version(argv):
    """First line of `<tool> --version`, or None when the tool is not installed."""
    if not shutil.which(argv[0]):
        return None
    out = subprocess.run(argv + ["--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return out.stdout.decode("utf-8", "replace").splitlines()[0] if out.stdout else argv[0]


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_digest(toolchain):
    """What the outputs depend on: the sources and the tools that turn them into packages."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update(name.encode() + b"\0")
        with open(os.path.join(HERE, name), "rb") as handle:
            digest.update(handle.read() + b"\0")
    digest.update(json.dumps(toolchain, sort_keys=True).encode())
    return digest.hexdigest()


def up_to_date(out_dir, digest):
    try:
        with open(os.path.join(out_dir, "manifest.json")) as handle:
            manifest = json.load(handle)
        if manifest.get("format") != MANIFEST_FORMAT or manifest.get("inputs_sha256") != digest:
            return False
        return all(sha256_file(os.path.join(out_dir, entry["path"])) == entry["sha256"]
                   for entry in manifest["packages"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def compile_module(compiler, version, out_path):
    cmd = [compiler] + CFLAGS + ["-DHELLO_VERSION=%d" % version, "-o", out_path, "hello.c"]
    result = subprocess.run(cmd, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise BuildError("%s failed:\n%s" % (" ".join(cmd), result.stdout.decode("utf-8", "replace")))
    os.chmod(out_path, 0o755)


# --- a minimal RESP2 client: enough for MODULE LIST and COMMAND INFO, no third-party import ---

def _resp_encode(args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg.encode() if isinstance(arg, str) else arg
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


def _resp_read(stream):
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise BuildError("redis-server closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise BuildError("redis-server error: %s" % rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = stream.read(size + 2)[:-2]
        return data.decode("utf-8", "replace")
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [_resp_read(stream) for _index in range(size)]
    raise BuildError("unexpected reply from redis-server: %r" % line)


@contextlib.contextmanager
def redis_with_module(so_path):
    """A throwaway redis-server on a unix socket with the module loaded; yields a command function."""
    if not shutil.which(REDIS_SERVER):
        raise BuildError("%s not found: install the Debian packages redis-server and redis-tools" % REDIS_SERVER)
    tmp = tempfile.mkdtemp(prefix="hello-build-")
    sock_path = os.path.join(tmp, "redis.sock")
    log_path = os.path.join(tmp, "redis.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([REDIS_SERVER, "--port", "0", "--unixsocket", sock_path, "--save", "", "--appendonly", "no",
                                 "--dir", tmp, "--loadmodule", so_path], stdout=log, stderr=subprocess.STDOUT)
    conn = None
    try:
        deadline = time.monotonic() + 10
        while conn is None:
            if proc.poll() is not None:
                with open(log_path, "rb") as log:
                    raise BuildError("redis-server refused %s:\n%s" % (so_path, log.read().decode("utf-8", "replace")))
            try:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.connect(sock_path)
            except OSError:
                conn.close()
                conn = None
                if time.monotonic() > deadline:
                    raise BuildError("redis-server did not open %s within 10 s" % sock_path)
                time.sleep(0.01)
        stream = conn.makefile("rb")

        def command(*args):
            conn.sendall(_resp_encode(args))
            return _resp_read(stream)

        yield command
    finally:
        if conn is not None:
            conn.close()
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def discover(so_path):
    """module_name, version and commands, as the server reports them."""
    with redis_with_module(so_path) as command:
        # Redis 8 also lists its built-in modules (vectorset, with an empty path): keep the one loaded from so_path
        listed = [dict(zip(entry[::2], entry[1::2])) for entry in command("MODULE", "LIST")]
        modules = [m for m in listed if m.get("path") != ""]
        if len(modules) != 1:
            raise BuildError("expected one loaded module, MODULE LIST says %r" % modules)
        name = modules[0]["name"]
        names = sorted(command("COMMAND", "LIST", "FILTERBY", "MODULE", name))
        commands = []
        for info in command("COMMAND", "INFO", *names):
            commands.append({"command_name": info[0], "command_arity": info[1], "flags": list(info[2]),
                             "first_key": info[3], "last_key": info[4], "step": info[5]})
    return name, modules[0]["ver"], commands


def dependency_tarball(name):
    """A small, byte-for-byte reproducible .tgz standing in for a module's runtime files (e.g. gears' Python)."""
    payload = ("%s: runtime files of the hello test module's -withdeps package\n" % name).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("%s/README" % name)
        info.size, info.mtime, info.mode, info.uid, info.gid = len(payload), 0, 0o644, 0, 0
        tar.addfile(info, io.BytesIO(payload))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def url_file(url):
    return url.rstrip("/").rsplit("/", 1)[-1]


def module_json(discovered, so_sha256, architecture, operating_systems, dependencies=None):
    name, version, commands = discovered
    metadata = dict(STATIC_METADATA)
    metadata.update({
        "module_name": name,
        "version": version,
        "semantic_version": "%d.%d.%d" % (version // 10000, version // 100 % 100, version % 100),
        "commands": commands,
        "architecture": architecture,
        "operating_systems": list(operating_systems),
        "module_file": MODULE_FILE,
        "sha256": so_sha256,
        "dependencies": {dep: {"url": url, "sha256": hashlib.sha256(data).hexdigest()}
                         for dep, (url, data) in sorted((dependencies or {}).items())},
    })
    return (json.dumps(metadata, indent=4, sort_keys=True) + "\n").encode()


def write_zip(path, so_path, metadata_bytes, dependency_files=None):
    """module file and module.json at the zip root, then deps/ and its files; Unix modes recorded, fixed timestamps."""
    with open(so_path, "rb") as handle:
        so_bytes = handle.read()
    members = [(MODULE_FILE, 0o100755, so_bytes), ("module.json", 0o100644, metadata_bytes)]
    if dependency_files:
        members.append(("deps/", 0o40755, b""))
        members.extend(("deps/" + name, 0o100644, data) for name, data in sorted(dependency_files.items()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, mode, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the file mode
            info.external_attr = mode << 16 | (0x10 if name.endswith("/") else 0)
            archive.writestr(info, data)
    atomic_write(path, buf.getvalue())


def atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def build(out_dir, force=False):
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    toolchain = {"cc": tool_version([NATIVE_CC]), "aarch64_cc": tool_version([AARCH64_CC]),
                 "redis_server": tool_version([REDIS_SERVER])}
    if toolchain["cc"] is None:
        raise BuildError("%s not found: install the Debian package gcc" % NATIVE_CC)
    digest = inputs_digest(toolchain)
    # several test processes may build at once: one builds, the others wait and reuse
    with open(os.path.join(out_dir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and up_to_date(out_dir, digest):
            return os.path.join(out_dir, "manifest.json"), False
        obj_dir = os.path.join(out_dir, "obj")
        os.makedirs(obj_dir, exist_ok=True)

        manifest = {"format": MANIFEST_FORMAT, "inputs_sha256": digest, "toolchain": toolchain, "packages": {}, "skipped": {}}
        discovered = {}
        compiled = set()
        for key, semver, arch, operating_systems, dependency_urls in PACKAGES:
            compiler = NATIVE_CC if arch == "x86_64" else AARCH64_CC
            if arch != "x86_64" and toolchain["aarch64_cc"] is None:
                manifest["skipped"][key] = ("%s not found: install the Debian packages gcc-aarch64-linux-gnu and libc6-dev-arm64-cross"
                                            % AARCH64_CC)
                continue
            so_path = os.path.join(obj_dir, "hello-%s-%s.so" % (semver, arch))
            if so_path not in compiled:
                compile_module(compiler, numeric_version(semver), so_path)
                compiled.add(so_path)
            if semver not in discovered:
                # an aarch64 build cannot be loaded here: its metadata comes from the x86_64 twin
                discovered[semver] = discover(os.path.join(obj_dir, "hello-%s-x86_64.so" % semver))
            if discovered[semver][1] != numeric_version(semver):
                raise BuildError("%s registered version %r, expected %d" % (so_path, discovered[semver][1], numeric_version(semver)))
            so_sha256 = sha256_file(so_path)
            zip_name = key + ".zip"
            dependencies = {dep: (url, dependency_tarball(dep)) for dep, url in dependency_urls.items()}
            write_zip(os.path.join(out_dir, zip_name), so_path,
                      module_json(discovered[semver], so_sha256, arch, operating_systems, dependencies),
                      {url_file(url): data for url, data in dependencies.values()})
            manifest["packages"][key] = {
                "path": zip_name,
                "module_name": discovered[semver][0],
                "version": discovered[semver][1],
                "semantic_version": semver,
                "architecture": arch,
                "operating_systems": list(operating_systems),
                "module_file": MODULE_FILE,
                "dependencies": sorted(dependencies),
                "dependency_files": sorted("deps/" + url_file(url) for url, _data in dependencies.values()),
                "so_sha256": so_sha256,
                "sha256": sha256_file(os.path.join(out_dir, zip_name)),
            }
        manifest_path = os.path.join(out_dir, "manifest.json")
        atomic_write(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
        return manifest_path, True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "build", "testmodules"),
                        help="output directory (default: build/testmodules)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    args = parser.parse_args(argv)
    try:
        manifest_path, built = build(args.out, args.force)
    except BuildError as exc:
        print("build.py: error: %s" % exc, file=sys.stderr)
        return 1
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    print("%s: %s" % ("built" if built else "up to date", manifest_path))
    for key, reason in sorted(manifest["skipped"].items()):
        print("skipped %s: %s" % (key, reason))
    return 0


if __name__ == "__main__":
    sys.exit(main())
