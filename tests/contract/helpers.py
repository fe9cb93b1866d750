# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the emulator contract tests: an HTTP helper with TLS verification on, and package builders."""

import json
import socket
import ssl
import struct
import zipfile

import requests

ARTIFACTS = "/v2/local/modules/user-defined/artifacts"
USER_DEFINED = "/v2/modules/user-defined"
EM_X86_64 = 62
EM_AARCH64 = 183


def elf_blob(machine=EM_X86_64, bits=64, size=256):
    """A minimal ELF header (shared object) followed by padding."""
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1, 1, 0]) + b"\0" * 8
    header = ident + struct.pack("<HHI", 3, machine, 1)
    return header + b"\0" * max(0, size - len(header))


def metadata(name="hello", version=10000, **overrides):
    num = int(version) if isinstance(version, (int, float)) else 10000
    meta = {
        "module_name": name, "version": version, "semantic_version": "%d.%d.%d" % (num // 10000, num % 10000 // 100, num % 100),
        "display_name": "Hello",
        "commands": [{"command_name": "hello.echo", "command_arity": 2, "first_key": 0, "last_key": 0, "step": 0, "flags": ["readonly"]}],
        "command_line_args": "", "capabilities": ["types", "replica_of"], "min_redis_version": "7.0",
        "module_file": "%s.so" % (name if isinstance(name, str) else "hello"), "operating_systems": ["rhel9", "ubuntu22"], "architecture": "x86_64",
        "author": "redisops", "email": "dev@redis.test", "license": "GPL-3.0-or-later", "ramp_format_version": 1,
        "git_sha": "b'0123abcd'", "os": "ubuntu22.04", "min_redis_pack_version": "8.0", "compatible_redis_version": "8.2",
    }
    meta.update(overrides)
    return {key: value for key, value in meta.items() if value is not DROP}


DROP = object()
MEMORY_SIZE = 100 * 1024 * 1024


def bdb_body(name, module_list=None, memory_size=MEMORY_SIZE, **extra):
    """A POST /v1/bdbs body with the two required fields (name, memory_size)."""
    body = {"name": name, "memory_size": memory_size}
    if module_list is not None:
        body["module_list"] = module_list
    body.update(extra)
    return body


def build_zip(path, meta=None, so=None, extra=None, raw_module_json=None, omit=(), compress=zipfile.ZIP_DEFLATED):
    """Write a module package: module.json + <module_file> (+ extra {name: bytes})."""
    meta = metadata() if meta is None else meta
    with zipfile.ZipFile(str(path), "w", compress) as zf:
        if "module.json" not in omit:
            zf.writestr("module.json", raw_module_json if raw_module_json is not None else json.dumps(meta))
        so_name = meta.get("module_file") or "%s.so" % meta.get("module_name", "hello")
        if so_name not in omit:
            zf.writestr(so_name, elf_blob() if so is None else so)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return str(path)


class Api(object):
    """requests against one emulator node as one user, TLS verified with the emulator CA."""

    def __init__(self, emu, node=None, user="admin"):
        self.emu = emu
        conn = emu.conn(node, user)
        self.url = conn["url"]
        self.auth = (conn["username"], conn["password"])
        self.ca = conn["ca_path"]
        self.session = requests.Session()

    def call(self, method, path, auth=True, **kwargs):
        timeout = kwargs.pop("timeout", 30)
        return self.session.request(method, self.url + path, auth=self.auth if auth is True else auth, verify=self.ca, timeout=timeout, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def upload(self, zip_path, field="module"):
        with open(zip_path, "rb") as handle:
            return self.post(ARTIFACTS, files={field: ("package.zip", handle, "application/zip")})

    def allow_uploads(self, value=True):
        resp = self.put("/v1/cluster", json={"allow_modules_upload": value})
        assert resp.status_code == 200, resp.text
        return resp


def assert_error(resp, status, error_code, contains=None):
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body["error_code"] == error_code, body
    assert body["status_code"] == status
    assert isinstance(body["description"], str) and body["description"]
    if contains is not None:
        assert contains in body["description"], body
    return body


def raw_request(emu, node, head_lines, body=None, wait_continue=False):
    """Send a raw HTTPS request; returns (interim_status or None, final status line, raw response)."""
    info = emu.node(node)
    ctx = ssl.create_default_context(cafile=emu.ca_file)
    with socket.create_connection((info["address"], emu.port), timeout=30) as sock:
        with ctx.wrap_socket(sock, server_hostname=info["address"]) as tls:
            tls.sendall(("\r\n".join(head_lines) + "\r\n\r\n").encode())
            interim = None
            if wait_continue:
                first = _read_until(tls, b"\r\n\r\n")
                status_line = first.split(b"\r\n", 1)[0].decode()
                if " 100 " not in status_line + " ":
                    return None, status_line, _read_response(tls, first)
                interim = 100
            if body is not None:
                chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)] if isinstance(body, bytes) else body
                for chunk in chunks:
                    tls.sendall(chunk)
            data = _read_response(tls)
            return interim, data.split(b"\r\n", 1)[0].decode(), data


def _read_until(tls, marker):
    data = b""
    while marker not in data:
        chunk = tls.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _read_response(tls, data=b""):
    if b"\r\n\r\n" not in data:
        data += _read_until(tls, b"\r\n\r\n")
    head, _sep, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        key, _colon, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = tls.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest
