# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST client.

Two kinds of tests:
- against a tiny scripted HTTP server in this file, for answers the emulator never gives
  (a `message` error key, invalid JSON, a plain-text 404, Retry-After, a slow POST);
- against the real emulator (fixture `emulator`), for TLS, auth, roles, retries, faults and
  the streamed upload.
"""

import hashlib
import http.server
import json
import os
import threading
import time
import tracemalloc
import zipfile

import ssl

import pytest
import urllib3

from ansible_collections.redisops.custom_modules.plugins.module_utils import _client
from ansible_collections.redisops.custom_modules.plugins.module_utils._client import Client, MultipartFileBody
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import (
    HINT_CONNECT,
    HINT_TLS,
    HINT_TLS_STRICT,
    RedisEnterpriseError,
)

PASSWORD = 'S3cret-Passw0rd!'
ARTIFACTS = '/v2/local/modules/user-defined/artifacts'


# ---------------------------------------------------------------- a scripted local HTTP server

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _handle(self):
        server = self.server
        length = int(self.headers.get('Content-Length') or 0)
        digest = hashlib.sha256()
        remaining = length
        while remaining:
            data = self.rfile.read(min(remaining, 1 << 16))
            if not data:
                break
            digest.update(data)
            remaining -= len(data)
        server.seen.append(dict(method=self.command, path=self.path, headers=dict(self.headers),
                                length=length, sha256=digest.hexdigest()))
        status, headers, body, delay = server.script.pop(0) if server.script else (200, {}, b'{}', 0)
        if delay:
            time.sleep(delay)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def local():
    """A plain-HTTP server answering from `local.script` (status, headers, body, delay) in order."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    server.daemon_threads = True
    server.script = []
    server.seen = []
    server.url = 'http://127.0.0.1:%d' % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def local_client(server, **kwargs):
    kwargs.setdefault('backoff_factor', 0)
    kwargs.setdefault('allow_http', True)  # the scripted server speaks plain HTTP
    return Client(server.url, 'admin@redis.test', PASSWORD, **kwargs)


def assert_no_secret(exc_or_obj):
    for text in (str(exc_or_obj), repr(exc_or_obj)):
        assert PASSWORD not in text
        assert 'Authorization' not in text
        assert 'Basic ' not in text
    if isinstance(exc_or_obj, RedisEnterpriseError):
        assert PASSWORD not in json.dumps(exc_or_obj.to_result(), default=str)


# ---------------------------------------------------------------- the streamed multipart body

@pytest.fixture
def payload(tmp_path):
    path = tmp_path / 'hello-1.0.0.zip'
    data = os.urandom(3 * 1024 * 1024 + 12345)
    path.write_bytes(data)
    return path, data


def parse_single_file_multipart(raw, boundary):
    """(headers text, file bytes) of a one-part multipart body, checking the framing strictly."""
    opening = b'--' + boundary.encode() + b'\r\n'
    closing = b'\r\n--' + boundary.encode() + b'--\r\n'
    assert raw.startswith(opening) and raw.endswith(closing)
    head, _sep, rest = raw[len(opening):].partition(b'\r\n\r\n')
    return head.decode(), rest[:-len(closing)]


def test_body_is_a_valid_multipart_form(payload):
    path, data = payload
    with MultipartFileBody(str(path)) as body:
        pieces = []
        while True:
            piece = body.read(16384)
            if not piece:
                break
            pieces.append(piece)
        raw = b''.join(pieces)
        assert len(raw) == len(body)
        head, content = parse_single_file_multipart(raw, body.boundary)
    assert head == ('Content-Disposition: form-data; name="module"; filename="hello-1.0.0.zip"\r\n'
                    'Content-Type: application/zip')
    assert content == data
    assert body.closed


def test_body_reads_in_bounded_chunks(payload):
    path, data = payload
    file_reads = []
    with MultipartFileBody(str(path), chunk_size=256 * 1024) as body:
        real_read = body._file.read

        def spy(size=-1):
            file_reads.append(size)
            return real_read(size)
        body._file.read = spy
        total = 0
        while True:
            piece = body.read()  # "everything" still means one chunk
            if not piece:
                break
            assert len(piece) <= 256 * 1024
            total += len(piece)
        assert total == len(body)
        assert body.max_read <= 256 * 1024
        assert body.read(10 ** 9) == b''
    # the file itself is never read in one go
    assert file_reads and all(0 < size <= 256 * 1024 for size in file_reads)


def read_exactly(body, size):
    data = b''
    while len(data) < size:
        piece = body.read(size - len(data))
        assert piece
        data += piece
    return data


def test_body_rewinds(payload):
    path, _data = payload
    with MultipartFileBody(str(path)) as body:
        first = read_exactly(body, 200000)  # crosses from the preamble into the file
        assert body.tell() == 200000
        assert body.seek(0) == 0
        assert read_exactly(body, 200000) == first
        body.seek(-5, os.SEEK_END)
        tail = body.read(100)
        assert len(tail) == 5 and tail.endswith(b'--\r\n')
        assert body.tell() == len(body)


def test_body_refuses_a_file_that_shrinks(tmp_path):
    path = tmp_path / 'x.zip'
    path.write_bytes(b'a' * 1000)
    with MultipartFileBody(str(path)) as body:
        body.read(10)
        path.write_bytes(b'a' * 10)  # truncated behind our back
        with pytest.raises(IOError, match='shrank'):
            while body.read(4096):
                pass


def test_filename_is_escaped(tmp_path):
    path = tmp_path / 'we"ird\nname.zip'
    path.write_bytes(b'x')
    with MultipartFileBody(str(path)) as body:
        head = body.read(1000).decode()
    assert 'filename="we%22ird%0Aname.zip"' in head


# ---------------------------------------------------------------- retry policy

def test_retry_policy():
    retry = _client.make_retry(3, 0.5)
    assert (retry.total, retry.connect, retry.read, retry.status, retry.other) == (3, 3, 3, 3, 0)
    assert retry.respect_retry_after_header is True
    assert retry.raise_on_status is False
    assert retry.is_retry('GET', 503) and retry.is_retry('PUT', 503) and retry.is_retry('DELETE', 503)
    assert not retry.is_retry('POST', 503)
    assert not retry.is_retry('GET', 500)
    assert retry.parse_retry_after('3600') == _client.MAX_RETRY_AFTER
    assert retry.parse_retry_after('2') == 2


# ---------------------------------------------------------------- send block size

needs_blocksize = pytest.mark.skipif(not _client.URLLIB3_HAS_BLOCKSIZE,
                                     reason='urllib3 1.x has no per-connection block size setting')


@needs_blocksize
@pytest.mark.parametrize('url', ['https://127.0.0.1:9443', 'http://127.0.0.1:9443'])
def test_connections_send_in_blocks_of_at_least_1_mib(url):
    client = Client(url, 'admin@redis.test', PASSWORD, allow_http=url.startswith('http:'))
    pool = client.session.get_adapter(url).poolmanager.connection_from_url(url)
    conn = pool._new_conn()  # what urllib3 would open for a request
    assert conn.blocksize >= 1024 * 1024
    client.close()


@needs_blocksize
def test_proxied_connections_send_in_blocks_of_at_least_1_mib():
    client = Client('https://127.0.0.1:9443', 'admin@redis.test', PASSWORD)
    manager = client.session.get_adapter('https://127.0.0.1:9443').proxy_manager_for('http://127.0.0.1:3128')
    pool = manager.connection_from_url('http://127.0.0.1:9443')  # plain http goes through the proxy pool
    assert pool._new_conn().blocksize >= 1024 * 1024
    client.close()


# ---------------------------------------------------------------- against the scripted server

def test_repr_and_userinfo_never_show_the_password(local):
    client = Client('https://admin%40redis.test:' + PASSWORD + '@127.0.0.1:1/', 'admin@redis.test', PASSWORD)
    assert client.base_url == 'https://127.0.0.1:1'
    assert_no_secret(client)
    assert_no_secret(vars(client)['base_url'])


@pytest.mark.parametrize('body, code, description', [
    ({'error_code': 'invalid_module', 'description': 'Missing field module_name'}, 'invalid_module', 'Missing field module_name'),
    ({'error_code': 'no_module', 'message': 'No module file in request'}, 'no_module', 'No module file in request'),
])
def test_error_body_description_or_message(local, body, code, description):
    local.script.append((406, {'Content-Type': 'application/json'}, body, 0))
    with pytest.raises(RedisEnterpriseError) as info:
        local_client(local).create_user_module({'module_name': 'x'})
    exc = info.value
    assert (exc.method, exc.path, exc.status, exc.error_code, exc.description) == (
        'POST', '/v2/modules/user-defined', 406, code, description)
    assert str(exc) == 'POST /v2/modules/user-defined: HTTP 406 %s: %s' % (code, description)
    assert exc.details == body


def test_plain_404_on_user_defined_endpoint_suggests_old_cluster(local):
    local.script.append((404, {'Content-Type': 'text/html'}, b'<html>Not Found</html>', 0))
    with pytest.raises(RedisEnterpriseError) as info:
        local_client(local).list_artifacts()
    assert info.value.status == 404
    assert '8.0.2' in info.value.hint


def test_empty_body_is_none_and_versions_are_int(local):
    local.script.append((200, {}, b'', 0))
    local.script.append((200, {}, [{'module_name': 'hello', 'version': 10000.0, 'dependencies': []},
                                   {'module_name': 'rg', 'version': '80400'}], 0))
    client = local_client(local)
    assert client.delete_artifact('hello', 10000.0) is None
    assert local.seen[-1]['path'] == ARTIFACTS + '/hello/10000'
    assert [a['version'] for a in client.list_artifacts()] == [10000, 80400]


def test_invalid_json_is_an_error(local):
    local.script.append((200, {}, b'this is not json', 0))
    with pytest.raises(RedisEnterpriseError, match='invalid JSON in the response: this is not json'):
        local_client(local).get_cluster()


def test_get_is_retried_on_503_and_honours_retry_after(local):
    local.script.append((503, {'Retry-After': '1'}, {'error_code': 'x', 'description': 'busy'}, 0))
    local.script.append((503, {}, b'', 0))
    local.script.append((200, {}, {'name': 'c1'}, 0))
    started = time.monotonic()
    assert local_client(local).get_cluster() == {'name': 'c1'}
    assert time.monotonic() - started >= 0.9
    assert [r['method'] for r in local.seen] == ['GET'] * 3


def test_post_is_not_retried_on_503(local):
    local.script.extend([(503, {}, {'error_code': 'busy', 'description': 'not a member'}, 0)] + [(200, {}, b'{}', 0)] * 3)
    with pytest.raises(RedisEnterpriseError) as info:
        local_client(local).create_user_module({'module_name': 'hello'})
    assert info.value.status == 503
    assert 'a POST is not retried' in str(info.value)
    assert len(local.seen) == 1


def test_post_read_timeout_is_not_retried(local):
    local.script.append((200, {}, b'{}', 2))
    with pytest.raises(RedisEnterpriseError) as info:
        local_client(local, timeout=0.5).create_user_module({'module_name': 'hello'})
    assert 'may have been applied' in info.value.hint
    time.sleep(1.6)  # let the slow answer finish before counting
    assert len(local.seen) == 1


def test_get_read_timeout_is_retried(local):
    local.script.extend([(200, {}, b'[]', 1.5), (200, {}, b'[{"uid": 1}]', 0)])
    assert local_client(local, timeout=0.5).list_nodes() == [{'uid': 1}]
    time.sleep(1.1)
    assert len(local.seen) == 2


def test_connect_retry_of_an_upload_resends_the_body_from_the_start(local, payload, monkeypatch):
    """A connect error after urllib3 already read part of the body: the retry must rewind it."""
    path, data = payload
    pool_cls = urllib3.connectionpool.HTTPConnectionPool
    real = pool_cls._make_request
    calls = []

    def flaky(self, conn, method, url, body=None, **kwargs):
        calls.append(method)
        if len(calls) == 1:
            body.read(50000)  # as if part of the body had gone out before the failure
            raise urllib3.exceptions.NewConnectionError(conn, 'simulated connection failure')
        return real(self, conn, method, url, body=body, **kwargs)

    monkeypatch.setattr(pool_cls, '_make_request', flaky)
    local_client(local).upload_artifact(str(path))
    assert calls == ['POST', 'POST']
    assert len(local.seen) == 1
    seen = local.seen[0]
    assert seen['length'] == int(seen['headers']['Content-Length'])
    # recompute the digest the server saw from what the body produces from the start
    boundary = seen['headers']['Content-Type'].split('boundary=')[1]
    expected = b''.join([b'--', boundary.encode(), b'\r\n',
                         b'Content-Disposition: form-data; name="module"; filename="hello-1.0.0.zip"\r\n',
                         b'Content-Type: application/zip\r\n\r\n', data, b'\r\n--', boundary.encode(), b'--\r\n'])
    assert seen['sha256'] == hashlib.sha256(expected).hexdigest()


def test_connection_refused_is_a_clear_error(local):
    port = local.server_address[1]
    local.shutdown()
    local.server_close()
    client = Client('http://127.0.0.1:%d' % port, 'admin@redis.test', PASSWORD, retries=2, backoff_factor=0,
                    allow_http=True)
    with pytest.raises(RedisEnterpriseError) as info:
        client.list_modules()
    assert 'cannot connect to http://127.0.0.1:%d (3 attempts)' % port in str(info.value)
    assert info.value.hint == HINT_CONNECT
    assert_no_secret(info.value)


def test_missing_artifact_file(tmp_path):
    client = Client('https://127.0.0.1:1', 'u', PASSWORD)
    with pytest.raises(RedisEnterpriseError, match='cannot read the artifact'):
        client.upload_artifact(str(tmp_path / 'nope.zip'))


# ---------------------------------------------------------------- against the emulator

def emu_client(emulator, node=None, user='admin', **kwargs):
    conn = emulator.conn(node=node, user=user)
    kwargs.setdefault('backoff_factor', 0.01)
    return Client(conn['url'], conn['username'], conn['password'], ca_path=conn['ca_path'], **kwargs)


def log_since(emulator, mark, method=None, path=None):
    return [r for r in emulator.requests(mark)
            if (method is None or r['method'] == method) and (path is None or r['path'].split('?')[0] == path)]


def test_tls_verified_with_the_test_ca(emulator):
    modules = emu_client(emulator).list_modules()
    assert {'search', 'ReJSON', 'timeseries', 'bf'} <= {m['module_name'] for m in modules}


def test_tls_fails_clearly_without_the_ca(emulator):
    conn = emulator.conn()
    client = Client(conn['url'], conn['username'], conn['password'])
    with pytest.raises(RedisEnterpriseError) as info:
        client.list_modules()
    exc = info.value
    assert exc.hint == HINT_TLS
    assert 'certificate verify failed' in str(exc).lower()
    assert exc.method == 'GET' and exc.path == '/v1/modules'
    assert_no_secret(exc)


def strict_by_default():
    """Whether this Python's default TLS context verifies strictly (VERIFY_X509_STRICT: Python 3.13 and later)."""
    return bool(ssl.create_default_context().verify_flags & getattr(ssl, 'VERIFY_X509_STRICT', 0))


def test_a_ca_without_key_usage(emulator_factory):
    """Many older self-made CAs have no keyUsage extension. Python 3.13+ refuses them: the error names that cause and
    what to do; earlier Pythons accept them, and so does the client."""
    emu = emulator_factory(clusters={'c1': 1}, extra_args=['--legacy-ca'])
    client = emu_client(emu)
    if not strict_by_default():
        assert {'search', 'ReJSON'} <= {m['module_name'] for m in client.list_modules()}
        return
    with pytest.raises(RedisEnterpriseError) as info:
        client.list_modules()
    exc = info.value
    assert 'CA cert does not include key usage extension' in str(exc) and exc.hint == HINT_TLS_STRICT
    assert 'keyUsage = critical, keyCertSign, cRLSign' in exc.hint and 'Python 3.12' in exc.hint
    assert_no_secret(exc)


@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_validate_certs_false(emulator):
    conn = emulator.conn()
    client = Client(conn['url'], conn['username'], conn['password'], validate_certs=False, ca_path='/nonexistent')
    assert isinstance(client.list_nodes(), list)


def test_wrong_password_is_401_with_hint(emulator):
    conn = emulator.conn()
    client = Client(conn['url'], conn['username'], PASSWORD, ca_path=conn['ca_path'])
    with pytest.raises(RedisEnterpriseError) as info:
        client.list_modules()
    assert info.value.status == 401
    assert 'REDIS_ENTERPRISE_PASSWORD' in info.value.hint
    assert_no_secret(info.value)
    assert_no_secret(client)


def test_real_password_never_in_errors(emulator):
    conn = emulator.conn(user='viewer')
    client = emu_client(emulator, user='viewer')
    with pytest.raises(RedisEnterpriseError) as info:
        client.set_allow_modules_upload(True)
    for text in (str(info.value), repr(info.value), json.dumps(info.value.to_result(), default=str), repr(client)):
        assert conn['password'] not in text


@pytest.mark.parametrize('call, permission', [
    (lambda c: c.set_allow_modules_upload(True), 'update_cluster'),
    (lambda c: c.delete_artifact('hello', 10000), 'manage_cluster_modules'),
    (lambda c: c.delete_user_module('0123456789abcdef0123456789abcdef'), 'manage_cluster_modules'),
], ids=['put-cluster', 'delete-artifact', 'delete-user-module'])
def test_viewer_gets_403_naming_the_permission(emulator, call, permission):
    with pytest.raises(RedisEnterpriseError) as info:
        call(emu_client(emulator, user='viewer'))
    assert info.value.status == 403
    assert permission in info.value.hint


def test_viewer_can_read(emulator):
    client = emu_client(emulator, user='viewer')
    assert isinstance(client.list_artifacts(), list)
    assert isinstance(client.list_bdbs(), list)
    assert 'allow_modules_upload' in client.get_cluster()


def test_upload_disabled_is_403_with_hint(emulator, testmodules):
    client = emu_client(emulator)
    client.set_allow_modules_upload(False)
    with pytest.raises(RedisEnterpriseError) as info:
        client.upload_artifact(testmodules.v1['path'])
    exc = info.value
    assert (exc.status, exc.error_code) == (403, 'modules_upload_disabled')
    assert str(exc).startswith('POST %s: HTTP 403 modules_upload_disabled: ' % ARTIFACTS)
    assert 'allow_uploads: true' in str(exc)


def test_unknown_uid_is_404_module_delete_failed(emulator):
    with pytest.raises(RedisEnterpriseError) as info:
        emu_client(emulator).delete_user_module('ffffffffffffffffffffffffffffffff')
    assert (info.value.status, info.value.error_code) == (404, 'module_delete_failed')


def test_get_retried_on_503(emulator):
    node = emulator.nodes[0]['name']
    mark = emulator.mark()
    emulator.fault(node, 'fail-503', 2)
    try:
        assert isinstance(emu_client(emulator, node=node).list_nodes(), list)
    finally:
        emulator.fault(node, 'clear')
    statuses = [r['status'] for r in log_since(emulator, mark, 'GET', '/v1/nodes')]
    assert statuses == [503, 503, 200]


def test_get_gives_up_after_the_retries(emulator):
    node = emulator.nodes[0]['name']
    mark = emulator.mark()
    emulator.fault(node, 'fail-503', 10)
    try:
        with pytest.raises(RedisEnterpriseError) as info:
            emu_client(emulator, node=node, retries=2).list_nodes()
    finally:
        emulator.fault(node, 'clear')
    assert info.value.status == 503
    assert '(after 3 attempts)' in str(info.value)
    assert 'not (yet) a member' in info.value.hint
    assert len(log_since(emulator, mark, 'GET', '/v1/nodes')) == 3


def test_post_not_retried_on_503(emulator):
    node = emulator.nodes[0]['name']
    mark = emulator.mark()
    emulator.fault(node, 'fail-503', 1)
    try:
        with pytest.raises(RedisEnterpriseError) as info:
            emu_client(emulator, node=node).create_user_module({'module_name': 'hello'})
    finally:
        emulator.fault(node, 'clear')
    assert info.value.status == 503
    assert len(log_since(emulator, mark, 'POST')) == 1


def test_node_down_is_a_clear_connect_error(emulator):
    node = emulator.nodes[-1]['name']
    emulator.fault(node, 'down')
    try:
        with pytest.raises(RedisEnterpriseError) as info:
            emu_client(emulator, node=node, retries=2).list_modules()
    finally:
        emulator.fault(node, 'up')
    exc = info.value
    assert exc.hint == HINT_CONNECT
    assert 'cannot connect to %s (3 attempts)' % emulator.node_url(node) in str(exc)


def test_connect_retries_reach_a_node_that_comes_back(emulator, testmodules):
    """Connect errors are retried for every method, POST included (the request never left)."""
    node = emulator.nodes[-1]['name']
    client = emu_client(emulator, node=node, retries=6, backoff_factor=0.2)  # sleeps 0, .4, .8, 1.6 ...
    client.set_allow_modules_upload(True)
    emulator.fault(node, 'down')
    timer = threading.Timer(0.6, emulator.fault, (node, 'up'))
    timer.start()
    try:
        client.upload_artifact(testmodules.v1['path'])
    finally:
        timer.join()
        emulator.fault(node, 'up')
    assert (testmodules.v1['module_name'], testmodules.v1['version']) in {
        (a['module_name'], a['version']) for a in client.list_artifacts()}


@pytest.fixture
def big_package(testmodules, tmp_path):
    """hello-1.0.0 with its .so padded by 24 MiB of random bytes: still a valid package, many chunks long."""
    source = testmodules.v1
    path = tmp_path / 'hello-1.0.0-padded.zip'
    with zipfile.ZipFile(source['path']) as original, zipfile.ZipFile(str(path), 'w', zipfile.ZIP_STORED) as padded:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith('.so'):
                data += os.urandom(24 * 1024 * 1024)
            padded.writestr(info.filename, data)
    return dict(source, path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def test_streamed_upload_arrives_intact(emulator, big_package):
    node = emulator.nodes[0]['name']
    client = emu_client(emulator, node=node)
    client.set_allow_modules_upload(True)
    sent = []
    client.session.hooks['response'].append(lambda response, *a, **k: sent.append(response.request))
    mark = emulator.mark()
    assert client.upload_artifact(big_package['path']) is None

    request = sent[-1]
    assert isinstance(request.body, MultipartFileBody)  # streamed, not a bytes blob
    assert request.body.max_read <= _client.UPLOAD_CHUNK_SIZE
    assert 'Transfer-Encoding' not in request.headers
    size = os.path.getsize(big_package['path'])
    assert int(request.headers['Content-Length']) == len(request.body) > size
    assert request.headers['Content-Type'].startswith('multipart/form-data; boundary=')
    posts = log_since(emulator, mark, 'POST', ARTIFACTS)
    assert len(posts) == 1 and posts[0]['status'] == 200
    assert posts[0]['bytes'] == len(request.body)

    listed = {(a['module_name'], a['version']) for a in client.list_artifacts()}
    assert (big_package['module_name'], big_package['version']) in listed
    # what the emulator wrote to disk is byte for byte the file we sent
    record = os.path.join(emulator.state_dir, 'nodes', node, 'artifacts', big_package['module_name'],
                          str(big_package['version']), 'artifact.json')
    with open(record) as handle:
        stored = json.load(handle)
    assert (stored['sha256'], stored['size']) == (big_package['sha256'], size)


def test_upload_goes_out_in_1_mib_blocks_and_stays_streamed(emulator, big_package, monkeypatch):
    """The body is read and sent 1 MiB at a time (urllib3 2), and never held whole: Python's
    allocations stay within a few blocks while a 24 MiB package goes out."""
    client = emu_client(emulator, node=emulator.nodes[0]['name'])
    client.set_allow_modules_upload(True)
    client.list_artifacts()  # the connection and TLS set-up are not part of the measurement
    sends = []
    real_send = urllib3.connection.HTTPConnection.send

    def spy(self, data):
        sends.append(len(data))
        return real_send(self, data)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, 'send', spy)
    bodies = []
    client.session.hooks['response'].append(lambda response, *a, **k: bodies.append(response.request.body))
    tracemalloc.start()
    try:
        client.upload_artifact(big_package['path'])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = os.path.getsize(big_package['path'])
    assert sum(sends) > size
    assert peak < 6 * 1024 * 1024, 'peak %d bytes while uploading %d' % (peak, size)
    if _client.URLLIB3_HAS_BLOCKSIZE:  # urllib3 1.26 sends in http.client's 8 KiB blocks
        assert bodies[-1].max_read == _client.UPLOAD_CHUNK_SIZE
        assert max(sends) == _client.SEND_BLOCK_SIZE >= 1024 * 1024
        assert len(sends) < size // (1024 * 1024) + 5  # headers, whole blocks, the last piece


def test_upload_dropped_midway_is_not_retried(emulator, testmodules):
    node = emulator.nodes[0]['name']
    client = emu_client(emulator, node=node)
    client.set_allow_modules_upload(True)
    mark = emulator.mark()
    emulator.fault(node, 'drop-upload')
    with pytest.raises(RedisEnterpriseError) as info:
        client.upload_artifact(testmodules.v1['path'])
    exc = info.value
    assert (exc.method, exc.path, exc.status) == ('POST', ARTIFACTS, None)
    assert 'may have been applied' in exc.hint
    assert len(log_since(emulator, mark, 'POST', ARTIFACTS)) <= 1
    # the next upload works: nothing was left half-done
    client.upload_artifact(testmodules.v1['path'])


def test_user_module_round_trip(emulator, testmodules):
    client = emu_client(emulator)
    client.set_allow_modules_upload(True)
    with zipfile.ZipFile(testmodules.v2['path']) as package:
        metadata = json.loads(package.read('module.json'))
    created = client.create_user_module(metadata)
    assert created['module_name'] == metadata['module_name']
    assert any(m.get('uid') == created['uid'] for m in client.list_modules())
    client.delete_user_module(created['uid'])
    assert all(m.get('uid') != created['uid'] for m in client.list_modules())


@pytest.mark.parametrize('base, address, expected', [
    ('https://127.0.0.11:9443', '127.0.0.12', 'https://127.0.0.12:9443'),
    ('https://re.example.com:10443/', '10.0.0.5', 'https://10.0.0.5:10443'),
    ('https://re.example.com', '10.0.0.5', 'https://10.0.0.5:9443'),
    ('https://[fd00::1]:9443', 'fd00::2', 'https://[fd00::2]:9443'),
])
def test_node_url_keeps_scheme_and_port(base, address, expected):
    assert Client(base, 'admin@redis.test', PASSWORD).node_url(address) == expected


def test_for_url_keeps_credentials_and_tls_settings(tmp_path):
    ca = tmp_path / 'ca.pem'
    ca.write_text('x')
    client = Client('https://127.0.0.11:9443', 'admin@redis.test', PASSWORD, ca_path=str(ca), timeout=7, retries=1)
    sibling = client.for_url('https://127.0.0.12:9443')
    assert sibling.base_url == 'https://127.0.0.12:9443' and sibling.session.auth == ('admin@redis.test', PASSWORD)
    assert sibling.verify == str(ca) and sibling.timeout == 7 and sibling.retries == 1
    with pytest.raises(RedisEnterpriseError, match='plain HTTP'):
        client.for_url('http://127.0.0.12:8080')


def test_upgrade_and_action_requests(local):
    local.script = [(200, {}, {'uid': 3, 'action_uid': 'a-1'}, 0), (200, {}, {'status': 'active'}, 0), (200, {}, {'uid': 3}, 0)]
    client = local_client(local)
    assert client.upgrade_bdb(3, {'redis_version': '8.2'}, dry_run=True) == {'uid': 3, 'action_uid': 'a-1'}
    assert client.get_action('a-1') == {'status': 'active'}
    assert client.get_bdb(3) == {'uid': 3}
    assert [(seen['method'], seen['path']) for seen in local.seen] == [
        ('POST', '/v1/bdbs/3/upgrade?dry_run=true'), ('GET', '/v1/actions/a-1'), ('GET', '/v1/bdbs/3')]
    body = json.dumps({'redis_version': '8.2'}).encode()
    assert local.seen[0]['sha256'] == hashlib.sha256(body).hexdigest()


def test_get_that_times_out_on_every_attempt_names_the_timeout(local):
    local.script.extend([(200, {}, b'[]', 1.2)] * 3)
    with pytest.raises(RedisEnterpriseError) as info:
        local_client(local, timeout=0.5, retries=2, backoff_factor=0).list_nodes()
    assert 'no response from %s within 0.5 s (3 attempts)' % local.url in str(info.value), str(info.value)
    assert 'slow or overloaded' in info.value.hint
    assert 'cannot connect' not in str(info.value)
    time.sleep(1.3)
