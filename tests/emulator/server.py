# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS listeners (one per node), the request handler, fault injection and the control server."""

import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import secrets
import selectors
import shutil
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.emulator import multipart
from tests.emulator.errors import ApiError
from tests.emulator import shapes
from tests.emulator.package import MAX_PACKAGE_BYTES, check_package, name_problem, rules, validate_metadata
from tests.emulator.state import (BUNDLED_ORDER, DEFAULT_ACTION_SECONDS, OS_TABLE, PERMISSIONS, db_versions, module_fits,
                                  module_object, redis_major_minor, write_json)

MAX_JSON_BODY = 10 * 1024 * 1024
MULTIPART_OVERHEAD = 1024 * 1024     # room for part headers around a maximal module file
DRAIN_LIMIT = 1024 * 1024 * 1024     # bodies larger than this are not drained: the connection is closed
IDLE_TIMEOUT = 300
HANDSHAKE_TIMEOUT = 30
DB_NAME = re.compile(r"^[A-Za-z0-9-]+\Z")


class DropConnection(Exception):
    """Raised to close the connection without any response (drop-upload fault)."""


class _Done(Exception):
    """Internal: the connection is gone, stop handling."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Node(object):
    """One emulated node: its listener, its faults and its open connections."""

    def __init__(self, emulator, cluster, uid, name, address, port, os_id, architecture):
        self.emulator = emulator
        self.cluster = cluster
        self.uid = uid
        self.name = name
        self.address = address
        self.port = port
        self.os_id = os_id
        self.architecture = architecture
        self.url = "https://%s:%d" % (address, port)
        self.lock = threading.Lock()
        self.server = None
        self.ssl_context = None
        self.conns = set()
        self.down = False
        self.fail_503 = 0
        self.slow = 0.0
        self.drop_uploads = 0
        self.action_seconds = None      # None: DEFAULT_ACTION_SECONDS
        self.upgrade_outcomes = []      # how the next upgrades started through this node end (fail/abort/cancel-upgrade)
        self.enforce_upload_limit = False

    # --- listener ----------------------------------------------------------------------
    def start(self):
        server = NodeServer((self.address, self.port), RequestHandler)
        server.node = self
        self.server = server
        self.emulator.acceptor.add(server)

    def stop(self):
        server, self.server = self.server, None
        if server is not None:
            self.emulator.acceptor.remove(server)
            server.server_close()
        with self.lock:
            conns = list(self.conns)
        for conn in conns:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    def track(self, conn, add):
        with self.lock:
            if add:
                self.conns.add(conn)
            else:
                self.conns.discard(conn)

    # --- faults ------------------------------------------------------------------------
    def apply_fault(self, action, args):
        if action == "down":
            if not self.down:
                self.down = True
                self.stop()
        elif action == "up":
            if self.down:
                self.start()
                self.down = False
        elif action == "fail-503":
            count = int(args[0]) if args else 1
            if count < 0:
                raise ValueError("fail-503 needs a count >= 0")
            self.fail_503 = count
        elif action == "slow":
            seconds = float(args[0]) if args else 1.0
            if seconds < 0:
                raise ValueError("slow needs seconds >= 0")
            self.slow = seconds
        elif action == "drop-upload":
            self.drop_uploads += 1
        elif action == "action-time":
            seconds = float(args[0]) if args else DEFAULT_ACTION_SECONDS
            if seconds < 0:
                raise ValueError("action-time needs seconds >= 0")
            self.action_seconds = seconds
        elif action == "fail-upgrade":
            code = args[0] if args else "upgrade_failed"
            message = args[1] if len(args) > 1 else None
            self.upgrade_outcomes.append({"status": "failed", "error_code": code, "error_message": message})
        elif action in ("abort-upgrade", "cancel-upgrade"):
            self.upgrade_outcomes.append({"status": "aborted" if action == "abort-upgrade" else "cancelled"})
        elif action == "enforce-upload-limit":
            value = args[0] if args else "on"
            if value not in ("on", "off"):
                raise ValueError("enforce-upload-limit takes on or off")
            self.enforce_upload_limit = value == "on"
        elif action == "clear":
            self.fail_503 = 0
            self.slow = 0.0
            self.drop_uploads = 0
            self.action_seconds = None
            self.upgrade_outcomes = []
            self.enforce_upload_limit = False
            if self.down:
                self.start()
                self.down = False
        else:
            raise ValueError("unknown fault action %r" % action)
        return self.fault_state()

    def fault_state(self):
        return {"node": self.name, "down": self.down, "fail_503": self.fail_503, "slow": self.slow, "drop_upload": self.drop_uploads,
                "action_time": DEFAULT_ACTION_SECONDS if self.action_seconds is None else self.action_seconds,
                "fail_upgrade": len(self.upgrade_outcomes), "upgrade_outcomes": [o["status"] for o in self.upgrade_outcomes],
                "enforce_upload_limit": self.enforce_upload_limit}

    def next_upgrade_outcome(self):
        """The outcome a fault queued for the next upgrade started through this node (None: it completes)."""
        with self.lock:
            return self.upgrade_outcomes.pop(0) if self.upgrade_outcomes else None

    def take(self, attr):
        with self.lock:
            value = getattr(self, attr)
            if value > 0:
                setattr(self, attr, value - 1)
                return True
            return False

    def info(self):
        return {"name": self.name, "uid": self.uid, "address": self.address, "url": self.url,
                "os": self.os_id, "architecture": self.architecture}

    def node_object(self):
        family, os_name, os_version, semver = OS_TABLE[self.os_id]
        store = self.emulator.store
        # As a captured 8.0 node lists them: the older Redis versions newest first, the memcached entry, then the newest.
        offered = [{"db_type": "redis", "major": True, "redis_version": short, "version": full}
                   for short, full in db_versions(store.software)]
        supported = offered[-2::-1] + [{"db_type": "memcached", "version": "1.4.17"}] + offered[-1:]
        return shapes.node_object({
            "uid": self.uid, "addr": self.address, "external_addr": [], "architecture": self.architecture,
            "os_name": os_name, "os_version": os_version, "os_family": family, "os_semantic_version": semver,
            "software_version": store.software_version, "status": "active", "shard_count": 0, "shard_list": [],
            "ram_shard_count": 0, "cores": 4, "total_memory": 8 * 1024 ** 3, "ephemeral_storage_size": 50.0 * 1024 ** 3,
            "persistent_storage_size": 50.0 * 1024 ** 3, "rack_id": "", "accept_servers": True, "uptime": 3600,
            "supported_database_versions": supported,
        })


class NodeServer(ThreadingHTTPServer):
    """A node's HTTPS listener: the TLS handshake happens in the per-connection thread.

    It does not run a loop of its own: the emulator's Acceptor accepts for every node.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    node = None

    def server_bind(self):
        # HTTPServer.server_bind looks the address up with getfqdn(): about 50 ms per loopback
        # address, 5 s for 100 nodes. Nothing here uses server_name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def finish_request(self, request, client_address):
        node = self.node
        # Headers and body go out in separate writes (TLS records): without TCP_NODELAY, Nagle's
        # algorithm and the client's delayed ACK add about 40 ms to every response.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            conn = node.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        node.track(conn, True)
        try:
            conn.settimeout(IDLE_TIMEOUT)
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ValueError, _Done):
            pass
        finally:
            node.track(conn, False)
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError, _Done)):
            return
        traceback.print_exc(file=sys.stderr)


class Acceptor(object):
    """One thread accepts connections for every node's listener.

    A serve_forever() loop per node would wake every 50 ms to poll for shutdown: 100 nodes meant
    100 threads and 2,000 wake-ups a second, and stopping them one after the other took seconds.
    Here one selector waits on every listening socket; each accepted connection still gets a
    thread of its own (NodeServer.process_request), where the TLS handshake happens.
    """

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopping = False
        self.thread = threading.Thread(target=self._run, name="acceptor", daemon=True)
        self.thread.start()

    def add(self, server):
        server.socket.setblocking(False)
        with self.lock:
            self.selector.register(server.socket, selectors.EVENT_READ, server)
        self._wake()

    def remove(self, server):
        """Stop accepting for server; returns once the acceptor no longer uses its socket."""
        with self.lock:
            try:
                self.selector.unregister(server.socket)
            except (KeyError, ValueError):
                pass

    def stop(self):
        self._stopping = True
        self._wake()
        self.thread.join(5)
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _run(self):
        while not self._stopping:
            try:
                events = self.selector.select()
            except (OSError, ValueError):
                if self._stopping:
                    return
                continue
            for key, _mask in events:
                if key.data is None:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except OSError:
                        pass
                    continue
                self._accept(key.data)

    def _accept(self, server):
        with self.lock:  # remove() cannot close the socket in between
            if self._key(server) is None:
                return
            try:
                request, client_address = server.socket.accept()
            except OSError:  # BlockingIOError when another wake-up took it; a closed socket
                return
        try:
            server.process_request(request, client_address)
        except Exception:  # pylint: disable=broad-except
            server.handle_error(request, client_address)
            server.shutdown_request(request)

    def _key(self, server):
        try:
            return self.selector.get_key(server.socket)
        except (KeyError, ValueError):
            return None


ROUTES = []


def route(method, pattern, permission, upload=False):
    """Register a handler for METHOD + path regex; upload=True applies the allow_modules_upload gate."""
    regex = re.compile("^" + pattern + "$")

    def deco(func):
        ROUTES.append((method, regex, permission, upload, func))
        return func
    return deco


class RequestHandler(BaseHTTPRequestHandler):
    """One node's REST API."""

    protocol_version = "HTTP/1.1"
    server_version = "redisops-re-emulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    # --- plumbing ----------------------------------------------------------------------
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silenced: the request log (requests.jsonl) is the record."""

    def handle_expect_100(self):
        # 100 Continue is sent lazily, when the handler starts reading the body.
        self._expect_pending = True
        return True

    def _setup_body(self):
        self._expect_pending = getattr(self, "_expect_pending", False)
        self._received = 0
        self._chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        try:
            self._remaining = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._remaining = -1
        self._body_started = False

    def read_body(self, size):
        """Read up to size bytes of the request body (b'' at its end)."""
        if self._remaining <= 0:
            return b""
        if self._expect_pending:
            self._expect_pending = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        self._body_started = True
        data = self.rfile.read(min(size, self._remaining))
        if not data:
            self._remaining = 0
            self.close_connection = True
            return b""
        self._remaining -= len(data)
        self._received += len(data)
        return data

    def _finish_body(self):
        """Before answering: drain an unread body, or close when the client has not sent it."""
        if self._remaining <= 0:
            return
        if self._expect_pending or self._remaining > DRAIN_LIMIT:
            self.close_connection = True
            return
        while self._remaining > 0:
            if not self.read_body(256 * 1024):
                break

    def json_body(self):
        if self._remaining > MAX_JSON_BODY:
            raise ApiError(400, "invalid_json", "Request body larger than %d bytes" % MAX_JSON_BODY)
        chunks = []
        while True:
            data = self.read_body(65536)
            if not data:
                break
            chunks.append(data)
        raw = b"".join(chunks)
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return ValueError

    def _send(self, status, body, extra_headers=None):
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.wfile.flush()

    def _authenticate(self):
        header = self.headers.get("Authorization") or ""
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "basic" or not token:
            raise ApiError(401, "unauthorized", "Authentication required: send HTTP basic credentials",
                           {"WWW-Authenticate": 'Basic realm="Redis Enterprise"'})
        try:
            username, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, ValueError):
            username, sep, password = "", "", ""
        user = self.server.node.emulator.users.get(username) if sep else None
        if user is None or not secrets.compare_digest(user["password"].encode(), password.encode()):
            raise ApiError(401, "unauthorized", "Wrong username or password",
                           {"WWW-Authenticate": 'Basic realm="Redis Enterprise"'})
        return user

    # --- dispatch ----------------------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def _dispatch(self):
        node = self.server.node
        emu = node.emulator
        if node.down:
            self.close_connection = True
            raise _Done()
        self._setup_body()
        self.user = None
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        self.query = parse_qs(parts.query)
        status, body, headers = 200, None, {}
        try:
            if node.slow:
                time.sleep(node.slow)
            if node.take("fail_503"):
                raise ApiError(503, "node_unavailable", "Node %s is not responding (injected fault)" % node.name)
            if self._chunked or self._remaining < 0:
                raise ApiError(411, "length_required", "Send the request body with a Content-Length header")
            user = self._authenticate()
            self.user = user["username"]
            emu.store.tick_actions()
            func, permission, upload, args = self._match(path)
            if upload and emu.store.has_upload_flag and not emu.store.cluster(node.cluster)["settings"].get("allow_modules_upload"):
                raise ApiError(403, "modules_upload_disabled",
                               "Module uploads are disabled on this cluster: set allow_modules_upload to true (PUT /v1/cluster)")
            if user["role"] not in PERMISSIONS[permission]:
                raise ApiError(403, "insufficient_permissions",
                               "Role '%s' lacks the permission '%s' needed for %s %s" % (user["role"], permission, self.command, path))
            result = func(self, *args)
            if isinstance(result, tuple):
                status, body = result
            else:
                body = result
        except ApiError as exc:
            status, body, headers = exc.status, exc.body(), exc.headers
        except DropConnection:
            emu.log_request(node, self.command, self.path, 0, self._received, self.user)
            self.close_connection = True
            try:
                socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
            except OSError:
                pass
            raise _Done() from None
        except (ConnectionError, TimeoutError, ssl.SSLError, _Done):
            emu.log_request(node, self.command, self.path, 0, self._received, self.user)
            raise
        except Exception:  # any bug becomes a 500 answer with a traceback on stderr
            traceback.print_exc(file=sys.stderr)
            status, body = 500, ApiError(500, "internal_error", "Internal emulator error (see its stderr)").body()
        self._finish_body()
        emu.log_request(node, self.command, self.path, status, self._received, self.user)
        self._send(status, body, headers)

    def _match(self, path):
        allowed = []
        for method, regex, permission, upload, func in ROUTES:
            match = regex.match(path)
            if match:
                if method == self.command:
                    return func, permission, upload, [unquote(g) for g in match.groups()]
                allowed.append(method)
        if allowed:
            raise ApiError(405, "method_not_allowed", "Method %s is not allowed on %s" % (self.command, path),
                           {"Allow": ", ".join(sorted(set(allowed)))})
        raise ApiError(404, "not_found", "No such URI: %s" % path)

    # --- helpers -----------------------------------------------------------------------
    @property
    def node(self):
        return self.server.node

    @property
    def store(self):
        return self.server.node.emulator.store

    @property
    def ccs(self):
        return self.store.cluster(self.node.cluster)

    # --- /v1/modules -------------------------------------------------------------------
    @route("GET", "/v1/modules", "view_cluster_modules")
    def list_modules(self):
        with self.store.lock:
            return [module_object(m) for m in self.store.all_modules(self.node.cluster)]

    @route("GET", "/v1/modules/([^/]+)", "view_cluster_modules")
    def get_module(self, uid):
        with self.store.lock:
            for mod in self.store.all_modules(self.node.cluster):
                if mod["uid"] == uid:
                    return module_object(mod)
        raise ApiError(404, "module_not_found", "No module with uid '%s'" % uid)

    # --- /v2/modules/user-defined ------------------------------------------------------
    @route("POST", "/v2/modules/user-defined", "manage_cluster_modules", upload=True)
    def create_module(self):
        meta = self.json_body()
        if meta is None:
            raise ApiError(406, "invalid_module", "Empty request body: expected a module object (JSON)")
        if meta is ValueError:
            raise ApiError(406, "invalid_module", "Request body is not valid JSON")
        meta = validate_metadata(meta)
        stored, existing = self.store.add_module(self.node.cluster, meta)
        if stored is None:
            raise ApiError(409, "module_exists", "Module '%s' version %d already exists (uid %s)"
                           % (meta["module_name"], meta["version"], existing["uid"]))
        return module_object(stored)

    @route("DELETE", "/v2/modules/user-defined/([^/]+)", "manage_cluster_modules")
    def delete_module(self, uid):
        with self.store.lock:
            mods = self.ccs["modules"]
            mod = mods.get(uid)
            if mod is None:
                raise ApiError(404, "module_delete_failed", "No user-defined module with uid '%s'" % uid)
            users = sorted(b["name"] for b in self.ccs["bdbs"].values()
                           if any(e.get("module_id") == uid for e in b.get("module_list", [])))
            if users:
                raise ApiError(406, "module_in_use", "Module '%s' version %d is in use by database(s): %s"
                               % (mod["module_name"], mod["version"], ", ".join(users)))
            del mods[uid]
            self.store.save(self.node.cluster)
        return None

    # --- /v2/local/modules/user-defined/artifacts --------------------------------------
    @route("GET", "/v2/local/modules/user-defined/artifacts", "view_cluster_modules")
    def list_artifacts(self):
        with self.store.lock:
            return self.store.list_artifacts(self.node.name)

    @route("DELETE", "/v2/local/modules/user-defined/artifacts/([^/]+)/([^/]+)", "manage_cluster_modules")
    def delete_artifact(self, module_name, version):
        if not re.match(r"^[0-9]+$", version):
            raise ApiError(404, "not_found", "Artifact version must be an integer (the numeric version), got '%s'" % version)
        problem = name_problem(module_name)
        if problem:
            raise ApiError(406, "invalid_module", "Invalid module name in the path: %s" % problem)
        with self.store.lock:
            users = self.store.bdbs_using(self.node.cluster, module_name, int(version))
            if users:
                raise ApiError(406, "module_in_use", "Module '%s' version %s is in use by database(s): %s"
                               % (module_name, version, ", ".join(users)))
            if not self.store.delete_artifact(self.node.name, module_name, int(version)):
                raise ApiError(404, "module_not_found", "No artifact %s/%s on node %s" % (module_name, version, self.node.name))
        return None

    @route("POST", "/v2/local/modules/user-defined/artifacts", "manage_cluster_modules", upload=True)
    def upload_artifact(self):
        node = self.node
        boundary = multipart.boundary_of(self.headers.get("Content-Type"))
        if self._remaining > MAX_PACKAGE_BYTES + MULTIPART_OVERHEAD:
            raise ApiError(400, "module_too_large", "The upload (%d bytes) exceeds the %d-byte (500 MiB) module size limit"
                           % (self._remaining, MAX_PACKAGE_BYTES))
        limit_mb = self.ccs["settings"].get("module_upload_max_size_mb")
        if node.enforce_upload_limit and limit_mb and self._remaining > limit_mb * 1024 * 1024 + MULTIPART_OVERHEAD:
            raise ApiError(400, "module_too_large", "The upload (%d bytes) exceeds the cluster's module size limit, "
                           "module_upload_max_size_mb = %d" % (self._remaining, limit_mb))
        if boundary is None or self._remaining == 0:
            raise ApiError(400, "no_module", "No module file: send multipart/form-data with the file in the field 'module'")
        if node.take("drop_uploads"):
            to_read = max(1, min(self._remaining // 2, 1024 * 1024))
            while to_read > 0:
                data = self.read_body(min(to_read, 65536))
                if not data:
                    break
                to_read -= len(data)
            raise DropConnection()
        fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=".zip", dir=self.store.upload_tmp_dir(node.name))
        try:
            sha = hashlib.sha256()
            with os.fdopen(fd, "wb") as handle:
                sink = _HashingWriter(handle, sha)

                def open_file(name):
                    if name == "module" and not sink.used:
                        sink.used = True
                        return sink
                    return None

                def too_large(name, size):
                    if name == "module" and size > MAX_PACKAGE_BYTES:
                        raise ApiError(400, "module_too_large", "The module file exceeds the %d-byte (500 MiB) size limit" % MAX_PACKAGE_BYTES)

                seen = multipart.parse(self.read_body, boundary, open_file, too_large)
            if "module" not in seen:
                raise ApiError(400, "no_module", "No module file: the multipart body has no field named 'module'")
            # the node's OS as packages name it, by the collection's one normalisation (a Rocky 9 node is rhel9)
            pkg = check_package(tmp, {"os_id": rules.node_os_id(node.node_object()), "architecture": node.architecture})
            self._install(pkg, tmp, sha.hexdigest(), os.path.getsize(tmp))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return None

    def _install(self, pkg, tmp, digest, size):
        store = self.store
        with store.lock:
            target = store.artifact_dir(self.node.name, pkg.module_name, pkg.version)
            if os.path.exists(target):
                shutil.rmtree(target)
            os.makedirs(target)
            with zipfile.ZipFile(tmp) as zf:
                members = [(os.path.basename(pkg.module_file), pkg.module_file)] + [(m, m) for m in pkg.dep_files]
                for dest, member in members:
                    out = os.path.join(target, dest)
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with zf.open(member) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
            os.replace(tmp, os.path.join(target, "package.zip"))
            write_json(os.path.join(target, "artifact.json"), {
                "module_name": pkg.module_name, "version": pkg.version, "semantic_version": pkg.semantic_version,
                "dependencies": [d for d, _m in pkg.dependencies], "module_file": os.path.basename(pkg.module_file),
                "architecture": pkg.architecture, "sha256": digest, "size": size, "uploaded": utc_now()})

    # --- /v1/cluster -------------------------------------------------------------------
    def _cluster_object(self):
        ccs = self.ccs
        return shapes.cluster_object("%s.redis.test" % self.node.cluster, ccs["created_time"], self.node.port,
                                     ccs["settings"], self.store.has_upload_flag)

    @route("GET", "/v1/cluster", "view_cluster_info")
    def get_cluster(self):
        with self.store.lock:
            return self._cluster_object()

    @route("PUT", "/v1/cluster", "update_cluster")
    def put_cluster(self):
        body = self.json_body()
        if body is ValueError or not isinstance(body, dict):
            raise ApiError(400, "invalid_schema", "The request body must be a JSON object")
        for key, value in body.items():
            if key == "allow_modules_upload" and self.store.has_upload_flag:
                if not isinstance(value, bool):
                    raise ApiError(400, "invalid_schema", "'allow_modules_upload' must be a boolean")
            elif key == "module_upload_max_size_mb" and self.ccs["settings"].get(key) is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ApiError(400, "invalid_schema", "'module_upload_max_size_mb' must be a positive integer (MB)")
            else:
                raise ApiError(400, "invalid_schema", "Unknown or read-only cluster attribute '%s'" % key)
        dry_run = (self.query.get("dry_run") or ["false"])[-1].lower() in ("true", "1", "yes")
        with self.store.lock:
            if not dry_run and body:
                self.ccs["settings"].update(body)
                self.store.save(self.node.cluster)
            return self._cluster_object()

    # --- /v1/nodes ---------------------------------------------------------------------
    @route("GET", "/v1/nodes", "view_all_nodes_info")
    def list_nodes(self):
        return [n.node_object() for n in self.node.emulator.nodes if n.cluster == self.node.cluster]

    @route("GET", "/v1/nodes/([^/]+)", "view_all_nodes_info")
    def get_node(self, uid):
        for node in self.node.emulator.nodes:
            if node.cluster == self.node.cluster and str(node.uid) == uid:
                return node.node_object()
        raise ApiError(404, "node_not_found", "No node with uid '%s'" % uid)

    # --- /v1/bdbs ----------------------------------------------------------------------
    def _bdb_object(self, bdb):
        return shapes.bdb_object(bdb, self.store.module_fields)

    @route("GET", "/v1/bdbs", "view_all_bdbs_info")
    def list_bdbs(self):
        with self.store.lock:
            return [self._bdb_object(b) for _uid, b in sorted(self.ccs["bdbs"].items(), key=lambda i: int(i[0]))]

    @route("GET", "/v1/bdbs/([^/]+)", "view_all_bdbs_info")
    def get_bdb(self, uid):
        with self.store.lock:
            bdb = self.ccs["bdbs"].get(uid)
            if bdb is None:
                raise ApiError(404, "db_not_exist", "No database with uid '%s'" % uid)
            return self._bdb_object(bdb)

    def _resolve_module(self, entry, db_version):
        """The module_list entry for one requested module: the highest version that fits the database's Redis version."""
        name = entry["module_name"]
        semver = entry.get("semantic_version")
        candidates = [m for m in self.store.all_modules(self.node.cluster) if m["module_name"] == name]
        if semver is not None:
            candidates = [m for m in candidates if m.get("semantic_version") == semver]
        if not candidates:
            raise ApiError(406, "missing_module", "Module %s%s is missing from the cluster"
                           % (name, " version %s" % semver if semver else ""))
        fitting = [m for m in candidates if module_fits(m, db_version)]
        if not fitting:
            raise ApiError(406, "redis_incompatible_version",
                           "No version of module %s%s is compatible with Redis %d.%d (the module's versions: %s)"
                           % (name, " %s" % semver if semver else "", db_version[0], db_version[1],
                              ", ".join("%s (compatible_redis_version %r, min_redis_version %r)"
                                        % (m.get("semantic_version"), m.get("compatible_redis_version") or "",
                                           m.get("min_redis_version") or "")
                                        for m in sorted(candidates, key=lambda m: m["version"]))))
        mod = max(fitting, key=lambda m: m["version"])
        return {"module_id": mod["uid"], "module_name": mod["module_name"], "semantic_version": mod.get("semantic_version"),
                "module_args": entry.get("module_args", "") or "", "_version": mod["version"]}

    def _db_version(self, body):
        """(major, minor) and full version of the database's Redis: `redis_version` or `version` in the body, else the newest."""
        offered = db_versions(self.store.software)
        wanted = []
        for key in ("redis_version", "version"):
            value = body.get(key)
            if value is None:
                continue
            parsed = redis_major_minor(value)
            if parsed is None:
                raise ApiError(406, "invalid_version", "'%s' must be a Redis version such as \"7.4\", got %r" % (key, value))
            wanted.append(parsed)
        if len(set(wanted)) > 1:
            raise ApiError(406, "invalid_version", "'redis_version' and 'version' name different Redis versions")
        if not wanted:
            short, full = offered[-1]
            return redis_major_minor(short), full
        for short, full in offered:
            if redis_major_minor(short) == wanted[0]:
                return wanted[0], full
        raise ApiError(406, "invalid_version", "Redis %d.%d is not offered by this cluster (supported database versions: %s)"
                       % (wanted[0][0], wanted[0][1], ", ".join(short for short, _full in offered)))

    @route("POST", "/v1/bdbs", "create_bdb")
    def create_bdb(self):
        body = self.json_body()
        if body is ValueError or not isinstance(body, dict):
            raise ApiError(400, "invalid_schema", "The request body must be a JSON object (a bdb object)")
        name = body.get("name")
        if name is None or name == "":
            raise ApiError(406, "missing_db_name", "DB name is a required property")
        if not isinstance(name, str) or not DB_NAME.match(name):
            raise ApiError(406, "invalid_db_name", "Database name %r is invalid: use only letters, digits and hyphens" % (name,))
        memory = body.get("memory_size")
        if memory is None:
            raise ApiError(406, "missing_memory_size", "Memory Size is a required property (memory_size, in bytes)")
        if isinstance(memory, bool) or not isinstance(memory, int) or memory < 0:
            raise ApiError(406, "invalid_schema", "'memory_size' must be a non-negative integer (bytes)")
        module_list = body.get("module_list") or []
        if not isinstance(module_list, list):
            raise ApiError(406, "invalid_schema", "'module_list' must be an array")
        for entry in module_list:
            if not isinstance(entry, dict) or not isinstance(entry.get("module_name"), str) or not entry["module_name"]:
                raise ApiError(406, "invalid_schema", "Each module_list entry needs a string 'module_name'")
        db_version, full_version = self._db_version(body)
        with self.store.lock:
            ccs = self.ccs
            if any(b["name"] == name for b in ccs["bdbs"].values()):
                raise ApiError(409, "db_name_exists", "A database named '%s' already exists" % name)
            entries = [self._resolve_module(e, db_version) for e in module_list]
            if db_version[0] >= 8:
                # Redis 8 databases carry the bundled modules, whether asked for or not.
                named = set(e["module_name"] for e in entries)
                entries += [self._resolve_module({"module_name": n}, db_version) for n in BUNDLED_ORDER if n not in named]
            uid = ccs["next_bdb_uid"]
            ccs["next_bdb_uid"] = uid + 1
            bdb = {"uid": uid, "name": name, "type": "redis", "status": "active", "memory_size": memory,
                   "port": 12000 + uid, "shards_count": 1, "replication": False,
                   "redis_version": "%d.%d" % db_version, "version": full_version,
                   "created_time": utc_now(), "module_list": entries,
                   "_admin_pass": secrets.token_urlsafe(24), "_cluster_dns": "%s.redis.test" % self.node.cluster,
                   "_endpoint_addr": [self.node.address]}
            ccs["bdbs"][str(uid)] = bdb
            self.store.save(self.node.cluster)
            return self._bdb_object(bdb)

    # --- POST /v1/bdbs/<uid>/upgrade, GET /v1/actions/<uid> --------------------------------
    UPGRADE_FLAGS = ("force_restart", "keep_redis_version", "keep_crdt_protocol_version", "may_discard_data",
                     "force_discard", "preserve_roles", "latest_with_modules")

    def _on_every_node(self, mod):
        """Whether every node of this cluster holds the module's artifact (bundled modules ship with every node)."""
        if mod.get("is_bundled"):
            return True
        return all(self.store.has_artifact(n.name, mod["module_name"], mod["version"])
                   for n in self.node.emulator.nodes if n.cluster == self.node.cluster)

    def _upgrade_entry(self, bdb, entry, db_version):
        """The module_list entry after an upgrade to Redis db_version: the newest allowed version of the module."""
        name = entry["module_name"]
        versions = [m for m in self.store.all_modules(self.node.cluster) if m["module_name"] == name]
        allowed = [m for m in versions if module_fits(m, db_version) and self._on_every_node(m)]
        if not allowed:
            raise ApiError(400, "upgrade_bdb_failed",
                           "Unable to find a version of the module %s that is supported by target redis version %d.%d "
                           "(database '%s'; the module's versions: %s)"
                           % (name, db_version[0], db_version[1], bdb["name"],
                              ", ".join("%s (compatible_redis_version %r, min_redis_version %r, %s)"
                                        % (m.get("semantic_version"), m.get("compatible_redis_version") or "",
                                           m.get("min_redis_version") or "",
                                           "on every node" if self._on_every_node(m) else "artifact missing on a node")
                                        for m in sorted(versions, key=lambda m: m["version"])) or "none"))
        mod = max(allowed, key=lambda m: m["version"])
        current = entry.get("_version")
        if current is not None and mod["version"] < current:
            raise ApiError(406, "module_downgrade_unsupported",
                           "Module %s would be downgraded from %s to %s in database '%s': the newest allowed version for "
                           "Redis %d.%d is older than the one in use"
                           % (name, entry.get("semantic_version"), mod.get("semantic_version"), bdb["name"],
                              db_version[0], db_version[1]))
        return {"module_id": mod["uid"], "module_name": name, "semantic_version": mod.get("semantic_version"),
                "module_args": entry.get("module_args", "") or "", "_version": mod["version"]}

    @route("POST", "/v1/bdbs/([^/]+)/upgrade", "update_bdb_with_action")
    def upgrade_bdb(self, uid):
        body = self.json_body()
        if body is None:
            body = {}
        if body is ValueError or not isinstance(body, dict):
            raise ApiError(400, "invalid_schema", "The request body must be a JSON object")
        for key in self.UPGRADE_FLAGS:
            if key in body and not isinstance(body[key], bool):
                raise ApiError(400, "invalid_schema", "'%s' must be a boolean" % key)
        parallel = body.get("parallel_shards_upgrade")
        if parallel is not None and (isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 0):
            raise ApiError(400, "invalid_schema", "'parallel_shards_upgrade' must be a non-negative integer")
        if "modules" in body and not isinstance(body["modules"], list):
            raise ApiError(400, "invalid_schema", "'modules' must be an array")
        if body.get("force_discard") and not body.get("may_discard_data"):
            raise ApiError(400, "invalid_schema", "'force_discard' requires 'may_discard_data'")
        dry_run = (self.query.get("dry_run") or ["false"])[-1].lower() in ("true", "1", "yes")
        with self.store.lock:
            bdb = self.ccs["bdbs"].get(uid)
            if bdb is None:
                raise ApiError(404, "db_not_exist", "No database with uid '%s'" % uid)
            current = redis_major_minor(bdb["redis_version"])
            if body.get("redis_version") is None:
                short, full = db_versions(self.store.software)[-1]
                target = redis_major_minor(short)
            else:
                target = redis_major_minor(body["redis_version"])
                if target is None:
                    raise ApiError(400, "invalid_version", "'redis_version' must be a Redis version such as \"7.4\", got %r"
                                   % (body["redis_version"],))
                full = dict((redis_major_minor(s), f) for s, f in db_versions(self.store.software)).get(target)
                if full is None:
                    raise ApiError(400, "invalid_version", "Redis %d.%d is not offered by this cluster" % target)
                if target < current:
                    raise ApiError(400, "invalid_version", "Database '%s' runs Redis %d.%d: it cannot be downgraded to %d.%d"
                                   % (bdb["name"], current[0], current[1], target[0], target[1]))
            if self.store.running_action(self.node.cluster, bdb["uid"]) is not None:
                raise ApiError(409, "bdb_busy", "Database '%s' has an action in progress; wait for it to finish" % bdb["name"])
            entries = [self._upgrade_entry(bdb, e, target) for e in bdb.get("module_list", [])]
            if target[0] >= 8:
                named = set(e["module_name"] for e in entries)
                entries += [self._resolve_module({"module_name": n}, target) for n in BUNDLED_ORDER if n not in named]
            new = dict(bdb, module_list=entries, redis_version="%d.%d" % target, version=full)
            if dry_run:
                return self._bdb_object(new)
            node = self.node
            seconds = DEFAULT_ACTION_SECONDS if node.action_seconds is None else node.action_seconds
            outcome = node.next_upgrade_outcome()
            if outcome and outcome["status"] == "failed" and not outcome.get("error_message"):
                outcome["error_message"] = (
                    "Upgrade of database '%s' failed: shard 1 on node %s did not come back with the new module versions "
                    "(injected fault); the database keeps its previous modules" % (bdb["name"], node.name))
            action_uid = str(uuid.uuid4())
            self.ccs["actions"][action_uid] = {
                "action_uid": action_uid, "name": "upgrade_bdb", "object_name": "bdb:%s" % bdb["uid"],
                "node_uid": str(node.uid), "status": "pending", "_progress": 0.0, "_state_machine": "SMUpgradeBDB",
                "_bdb_uid": bdb["uid"], "_started": time.time(), "_seconds": seconds, "_outcome": outcome,
                "_module_list": entries, "_redis_version": ["%d.%d" % target, full]}
            bdb["status"] = "active-change-pending"
            self.store.save(self.node.cluster)
            out = self._bdb_object(bdb)
            out["action_uid"] = action_uid
        self.store.tick_actions()   # a zero-second action is over before anyone asks
        return out

    @route("GET", "/v1/actions", "view_status_of_cluster_action")
    def list_actions(self):
        with self.store.lock:
            return shapes.actions_list(list(self.ccs["actions"].values()))

    @route("GET", "/v1/actions/([^/]+)", "view_status_of_cluster_action")
    def get_action(self, action_uid):
        with self.store.lock:
            action = self.ccs["actions"].get(action_uid)
            if action is None:
                raise ApiError(404, "action_not_exist", "No action with uid '%s'" % action_uid)
            return shapes.action_object(action)

    @route("DELETE", "/v1/bdbs/([^/]+)", "delete_bdb")
    def delete_bdb(self, uid):
        with self.store.lock:
            if self.ccs["bdbs"].pop(uid, None) is None:
                raise ApiError(404, "db_not_exist", "No database with uid '%s'" % uid)
            self.store.save(self.node.cluster)
        return None


class _HashingWriter(object):
    def __init__(self, handle, sha):
        self.handle = handle
        self.sha = sha
        self.used = False

    def write(self, data):
        self.handle.write(data)
        self.sha.update(data)


class ControlHandler(BaseHTTPRequestHandler):
    """Control API on 127.0.0.1: GET /faults, POST /fault {"node", "action", "args"}."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silenced."""

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        emu = self.server.emulator
        if self.path == "/faults":
            self._reply(200, [n.fault_state() for n in emu.nodes])
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        emu = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(min(length, 65536)) or b"{}")
        except ValueError:
            self._reply(400, {"error": "body is not JSON"})
            return
        if self.path != "/fault":
            self._reply(404, {"error": "not found"})
            return
        node = emu.node_by_name(body.get("node"))
        if node is None:
            self._reply(404, {"error": "unknown node %r" % body.get("node")})
            return
        try:
            with emu.fault_lock:
                state = node.apply_fault(body.get("action"), [str(a) for a in body.get("args") or []])
        except (ValueError, TypeError) as exc:
            self._reply(400, {"error": str(exc)})
            return
        except OSError as exc:
            self._reply(500, {"error": "could not reopen the listener: %s" % exc})
            return
        self._reply(200, state)


class Emulator(object):
    """All nodes of all clusters, the request log and the control server."""

    def __init__(self, state_dir, store, users, nodes_spec, ca_file, node_certs):
        self.state_dir = state_dir
        self.store = store
        self.users = {u["username"]: u for u in users}
        self.user_list = users
        self.ca_file = ca_file
        self.nodes = []
        self.fault_lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.log = open(os.path.join(state_dir, "requests.jsonl"), "a")  # pylint: disable=consider-using-with
        self.acceptor = None
        for spec in nodes_spec:
            node = Node(self, **spec)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(*node_certs[node.name])
            node.ssl_context = ctx
            self.nodes.append(node)
        self.control = None

    def node_by_name(self, name):
        for node in self.nodes:
            if node.name == name:
                return node
        return None

    def start(self):
        self.acceptor = Acceptor()
        for node in self.nodes:
            node.start()
        self.control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
        self.control.daemon_threads = True
        self.control.emulator = self
        threading.Thread(target=self.control.serve_forever, args=(0.05,), name="control", daemon=True).start()

    @property
    def control_url(self):
        return "http://127.0.0.1:%d" % self.control.server_address[1]

    def shutdown(self):
        if self.control is not None:
            self.control.shutdown()
            self.control.server_close()
        for node in self.nodes:
            node.stop()
        if self.acceptor is not None:
            self.acceptor.stop()
        with self.log_lock:
            self.log.close()

    def log_request(self, node, method, path, status, nbytes, user):
        entry = {"time": utc_now(), "cluster": node.cluster, "node": node.name, "method": method, "path": path,
                 "status": status, "bytes": nbytes, "user": user}
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.log_lock:
            if not self.log.closed:
                self.log.write(line)
                self.log.flush()

    def ready_document(self):
        clusters = []
        for node in self.nodes:
            if not clusters or clusters[-1]["name"] != node.cluster:
                clusters.append({"name": node.cluster, "nodes": []})
            clusters[-1]["nodes"].append(node.info())
        return {"pid": os.getpid(), "ca_file": self.ca_file, "control_url": self.control_url, "state_dir": self.state_dir,
                "software_version": self.store.software_version, "users": self.user_list, "clusters": clusters}
