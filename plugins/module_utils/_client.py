# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one REST client for the Redis Enterprise cluster API (requests + urllib3 Retry).

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import traceback
import uuid

from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import (
    HINT_CONNECT,
    RedisEnterpriseError,
    hint_for,
    tls_hint,
)

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import urllib3
    import urllib3.exceptions
    from requests.adapters import HTTPAdapter
    from urllib3.poolmanager import PoolKey
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = HTTPAdapter = object  # only so the classes below can be defined; never instantiated without requests
    URLLIB3_HAS_BLOCKSIZE = False
else:
    HAS_REQUESTS = True
    # urllib3 2 takes the connection's send block size as a pool setting; 1.26 has no such setting
    # (its pool key would reject it) and keeps http.client's 8 KiB.
    URLLIB3_HAS_BLOCKSIZE = 'key_blocksize' in PoolKey._fields

# Methods whose replay is harmless: a 503 or a dropped connection after the request was sent may be
# retried for them. A POST is retried only when the connection could not be opened at all.
IDEMPOTENT_METHODS = frozenset(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
RETRY_STATUSES = (503,)
# A server that asks for a long Retry-After should not stall a play for minutes.
MAX_RETRY_AFTER = 30.0
UPLOAD_CHUNK_SIZE = 1024 * 1024
# How much of a request body each connection reads and sends at once (urllib3's default: 16 KiB).
# Small blocks cost a read, a TLS record and a send call each: 400 MiB in 16 KiB blocks is 25,600 of them.
SEND_BLOCK_SIZE = UPLOAD_CHUNK_SIZE
_ERROR_TEXT_LIMIT = 300
_REDACTED = '********'


class _BoundedRetry(Retry):
    """urllib3 Retry that honours Retry-After, but never for longer than MAX_RETRY_AFTER seconds.

    Private to this collection.
    """

    def parse_retry_after(self, retry_after):
        return min(super(_BoundedRetry, self).parse_retry_after(retry_after), MAX_RETRY_AFTER)


def make_retry(retries, backoff_factor):
    """The urllib3 Retry policy of the client (see the module notes on what is retried).

    Private to this collection.
    """
    kwargs = dict(
        total=retries,
        connect=retries,  # the request never left: safe for every method, POST included
        read=retries,  # only for IDEMPOTENT_METHODS (urllib3 checks the method for read errors)
        status=retries,  # only for IDEMPOTENT_METHODS
        other=0,  # TLS failures and the like do not get better by retrying
        redirect=0,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    try:
        return _BoundedRetry(allowed_methods=IDEMPOTENT_METHODS, **kwargs)
    except TypeError:  # urllib3 < 1.26: no allowed_methods and no separate counter for other errors
        del kwargs['other']
        return _BoundedRetry(method_whitelist=IDEMPOTENT_METHODS, **kwargs)


class _BlockSizeAdapter(HTTPAdapter):
    """HTTPAdapter whose connections send a request body in SEND_BLOCK_SIZE blocks (urllib3 2).

    Also for connections through a proxy. With urllib3 1.26 it is a plain HTTPAdapter.
    Private to this collection.
    """

    def init_poolmanager(self, *args, **kwargs):
        if URLLIB3_HAS_BLOCKSIZE:
            kwargs.setdefault('blocksize', SEND_BLOCK_SIZE)
        super(_BlockSizeAdapter, self).init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        if URLLIB3_HAS_BLOCKSIZE:
            proxy_kwargs.setdefault('blocksize', SEND_BLOCK_SIZE)
        return super(_BlockSizeAdapter, self).proxy_manager_for(proxy, **proxy_kwargs)


def strip_userinfo(url):
    """``url`` without ``user:password@`` and without a trailing slash.

    Private to this collection.
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition('@')[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)).rstrip('/')


HTTPS_PORT = 9443
ALLOW_HTTP_HOWTO = 'allow_http: true (or the environment variable REDIS_ENTERPRISE_ALLOW_HTTP=true)'


def _shown(url):
    """What an error message may show of ``url``: scheme, host and port, never userinfo, query or fragment.

    Splitting again on the last ``@`` also hides a password with a raw ``#``, ``?`` or ``/`` in it,
    which urlsplit would not recognise as userinfo.
    """
    scheme, sep, rest = url.partition('://')
    if not sep:
        scheme, rest = '', url
    rest = rest.rpartition('@')[2]
    for stop in '/?#':
        rest = rest.partition(stop)[0]
    return '%s%s%s' % (scheme, sep, rest)


def _https_suggestion(hostname):
    host = hostname or '<node address>'
    if ':' in host:  # an IPv6 address needs its brackets back
        host = '[%s]' % host
    return 'https://%s:%d' % (host, HTTPS_PORT)


def check_url(url, allow_http=False):
    """The base URL to send requests to, or RedisEnterpriseError when ``url`` must not be used.

    Runs before any connection exists. Refused: no scheme, a scheme other than https (http only
    with ``allow_http``, because basic authentication would send the password in clear text), no
    host, an invalid port, a query or a fragment. The result has no userinfo (credentials in the
    URL are ignored; username and password are the options) and no trailing slash.

    Private to this collection.
    """
    if not isinstance(url, str) or not url.strip():
        raise RedisEnterpriseError('url is empty: set it to the REST API of a node, for example %s. Nothing was sent.'
                                   % _https_suggestion(None))
    shown = _shown(url)
    if '://' not in url:
        hostname = urlsplit('//' + url.rpartition('@')[2].lstrip('/')).hostname
        raise RedisEnterpriseError(
            'url %s has no scheme: write it as %s (the REST API is served over HTTPS, usually on port %d). '
            'Nothing was sent.' % (shown, _https_suggestion(hostname), HTTPS_PORT))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    hostname = parts.hostname
    suggestion = _https_suggestion(hostname)
    if scheme == 'http':
        if not allow_http:
            raise RedisEnterpriseError(
                'url %s uses plain HTTP, which would send the password in clear text to anyone on the network path: '
                'use %s (the REST API is served over HTTPS, usually on port %d). Only if the cluster serves its API '
                'over plain HTTP and you accept that risk, set %s. Nothing was sent.'
                % (shown, suggestion, HTTPS_PORT, ALLOW_HTTP_HOWTO))
    elif scheme != 'https':
        raise RedisEnterpriseError(
            'url %s has the scheme %s, which the REST API does not speak: use %s. Nothing was sent.'
            % (shown, parts.scheme or '(empty)', suggestion))
    if not hostname:
        raise RedisEnterpriseError('url %s names no host: use %s. Nothing was sent.' % (shown, suggestion))
    try:
        parts.port
    except ValueError:
        raise RedisEnterpriseError('url %s has an invalid port: use %s. Nothing was sent.' % (shown, suggestion))
    after_host = url.partition('://')[2].rpartition('@')[2]
    if '?' in after_host:
        raise RedisEnterpriseError('url %s has a query (a ? part); the base URL of the REST API takes none: use %s. '
                                   'Nothing was sent.' % (shown, suggestion))
    if '#' in after_host:
        raise RedisEnterpriseError('url %s has a fragment (a # part); the base URL of the REST API takes none: use %s. '
                                   'Nothing was sent.' % (shown, suggestion))
    return strip_userinfo(url)


def connection_warnings(base_url, validate_certs=True):
    """Warnings about what a connection to ``base_url`` exposes: at most one per problem.

    Meant to be shown once per task (the caller builds one client per task). Private to this collection.
    """
    warnings = []
    if urlsplit(base_url).scheme.lower() == 'http':
        warnings.append(
            'url %s uses plain HTTP (allow_http is true): the password travels in clear text, readable by anyone on '
            'the network path. Use %s instead.' % (_shown(base_url), _https_suggestion(urlsplit(base_url).hostname)))
    elif not validate_certs:
        warnings.append(
            'validate_certs is false: the server at %s is not authenticated, so whoever answers at that address '
            'receives the password. Set ca_path to the CA that signed the cluster\'s certificate instead.'
            % _shown(base_url))
    return warnings


def _multipart_escape(value):
    # What browsers do for names in Content-Disposition (WHATWG HTML multipart/form-data encoding).
    return value.replace('"', '%22').replace('\r', '%0D').replace('\n', '%0A')


class MultipartFileBody:
    """A multipart/form-data body with one file field, read from disk piece by piece.

    requests sends a body with ``read`` and ``__len__`` as a stream with a Content-Length, so the
    file is never held in memory: ``read(size)`` returns at most ``min(size, chunk_size)`` bytes
    (``read()`` returns the next chunk, not everything). ``tell``/``seek`` let urllib3 rewind
    the body when it retries a request whose connection could not be opened.

    Private to this collection.
    """

    def __init__(self, path, field='module', filename=None, content_type='application/zip',
                 chunk_size=UPLOAD_CHUNK_SIZE):
        self.path = path
        self.chunk_size = chunk_size
        self.boundary = uuid.uuid4().hex
        self.content_type = 'multipart/form-data; boundary=%s' % self.boundary
        if filename is None:
            filename = os.path.basename(path)
        preamble = (
            '--%s\r\n'
            'Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
            'Content-Type: %s\r\n'
            '\r\n' % (self.boundary, _multipart_escape(field), _multipart_escape(filename), content_type)
        )
        self._preamble = preamble.encode('utf-8')
        self._epilogue = ('\r\n--%s--\r\n' % self.boundary).encode('ascii')
        self._file = open(path, 'rb')
        self.file_size = os.fstat(self._file.fileno()).st_size
        self._file_end = len(self._preamble) + self.file_size
        self._length = self._file_end + len(self._epilogue)
        self._pos = 0
        self.max_read = 0  # the largest piece handed out, for tests and benchmarks

    def __len__(self):
        return self._length

    def tell(self):
        return self._pos

    def seek(self, offset, whence=os.SEEK_SET):
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self._length + offset
        else:
            raise ValueError('invalid whence %r' % (whence,))
        if pos < 0:
            raise ValueError('negative seek position %d' % pos)
        self._pos = pos
        return pos

    def read(self, size=-1):
        if size is None or size < 0 or size > self.chunk_size:
            size = self.chunk_size
        pos = self._pos
        if pos >= self._length or size == 0:
            return b''
        preamble_len = len(self._preamble)
        if pos < preamble_len:
            data = self._preamble[pos:pos + size]
        elif pos < self._file_end:
            offset = pos - preamble_len
            self._file.seek(offset)
            data = self._file.read(min(size, self.file_size - offset))
            if not data:
                raise IOError('%s shrank while it was being uploaded' % self.path)
        else:
            start = pos - self._file_end
            data = self._epilogue[start:start + size]
        self._pos = pos + len(data)
        if len(data) > self.max_read:
            self.max_read = len(data)
        return data

    def close(self):
        self._file.close()

    @property
    def closed(self):
        return self._file.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _innermost_reason(exc):
    """The urllib3 reason inside a requests exception (e.g. the SSL or socket error), as text."""
    reason = exc
    seen = 0
    while seen < 5:
        seen += 1
        inner = getattr(reason, 'reason', None)  # urllib3 errors; for ssl errors it is a str
        if not isinstance(inner, BaseException):
            inner = reason.args[0] if reason.args and isinstance(reason.args[0], BaseException) else None
        if inner is None or inner is reason:
            break
        reason = inner
    return str(reason) or type(reason).__name__


def _retries_timed_out(exc):
    """Whether ``exc`` is requests' ConnectionError for retries that all ended in a read timeout.

    requests raises ReadTimeout only for an attempt that is not retried; once urllib3 gives up retrying,
    the timeout arrives as a ConnectionError around MaxRetryError, and is no connection problem.
    """
    inner = exc.args[0] if exc.args else None
    return isinstance(getattr(inner, 'reason', None), urllib3.exceptions.ReadTimeoutError)


class Client:
    """Talks to one node of a Redis Enterprise cluster. Every failure raises RedisEnterpriseError.

    Private to this collection.
    """

    def __init__(self, url, username, password, validate_certs=True, ca_path=None, timeout=30,
                 retries=3, backoff_factor=0.5, allow_http=False):
        # Checked before anything else, so a refused URL never gets a session, let alone a connection.
        self.base_url = check_url(url, allow_http)
        # Shown by the caller, once per task: see client_from_module.
        self.warnings = connection_warnings(self.base_url, validate_certs)
        if not HAS_REQUESTS:
            raise RedisEnterpriseError('the Python library requests is required', details=REQUESTS_IMPORT_ERROR)
        self.username = username
        self._password = password
        self.timeout = timeout
        self.retries = retries
        # Kept so that a client for another node of the same cluster can be made (for_url).
        self._settings = dict(validate_certs=validate_certs, ca_path=ca_path, timeout=timeout, retries=retries,
                              backoff_factor=backoff_factor, allow_http=allow_http)
        if not validate_certs:
            self.verify = False
            # self.warnings says it once per task, in Ansible's words. urllib3 would also warn on every request,
            # through Python's warnings, which deadlocks ansible-core 2.16's display when the read pass warns from
            # several threads at once.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        elif ca_path:
            self.verify = ca_path
        else:
            self.verify = True
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.session.headers['Accept'] = 'application/json'
        self.session.headers['User-Agent'] = 'redisops.custom_modules'
        adapter = _BlockSizeAdapter(max_retries=make_retry(retries, backoff_factor))
        self.session.mount('https://', adapter)
        if allow_http:
            self.session.mount('http://', adapter)
        else:
            # Defence in depth: without the opt-in the session has no transport for http:// at all.
            self.session.adapters.pop('http://', None)

    def __repr__(self):
        return 'Client(base_url=%r, username=%r)' % (self.base_url, self.username)

    def close(self):
        self.session.close()

    def for_url(self, url):
        """A client for another node (``url``) with the same credentials and TLS settings."""
        return Client(url, self.username, self._password, **self._settings)

    def node_url(self, address):
        """The URL of a node's REST API at ``address`` (the ``addr`` of GET /v1/nodes): this client's scheme and port."""
        parts = urlsplit(self.base_url)
        host = '[%s]' % address if ':' in address else address
        port = parts.port or (HTTPS_PORT if parts.scheme == 'https' else 80)
        return '%s://%s:%d' % (parts.scheme, host, port)

    # plumbing

    def _redact(self, text):
        if text and self._password:
            text = text.replace(self._password, _REDACTED)
        return text

    def _transport_error(self, method, path, exc):
        reason = self._redact(_innermost_reason(exc))
        where = self.base_url
        retried = method.upper() in IDEMPOTENT_METHODS
        if isinstance(exc, requests.exceptions.SSLError):
            return RedisEnterpriseError('TLS handshake with %s failed: %s' % (where, reason),
                                        method=method, path=path, hint=tls_hint(reason))
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return RedisEnterpriseError('connecting to %s timed out after %s s (%d attempts): %s'
                                        % (where, self.timeout, self.retries + 1, reason),
                                        method=method, path=path, hint=HINT_CONNECT)
        if isinstance(exc, requests.exceptions.ReadTimeout) or _retries_timed_out(exc):
            if retried:
                hint = 'The node is slow or overloaded: raise timeout, or try again later.'
            else:
                hint = ('The request was sent and may have been applied: check the cluster state before '
                        'trying again, or raise timeout.')
            attempts = ' (%d attempts)' % (self.retries + 1) if retried else ''
            return RedisEnterpriseError('no response from %s within %s s%s: %s' % (where, self.timeout, attempts, reason),
                                        method=method, path=path, hint=hint)
        if isinstance(exc, requests.exceptions.RetryError):
            return RedisEnterpriseError('gave up on %s after %d attempts: %s' % (where, self.retries + 1, reason),
                                        method=method, path=path, hint=hint_for(method, path, 503))
        if isinstance(exc, requests.exceptions.ConnectionError):
            if 'Max retries exceeded' in str(exc) or 'Failed to establish' in reason or 'refused' in reason:
                return RedisEnterpriseError('cannot connect to %s (%d attempts): %s' % (where, self.retries + 1, reason),
                                            method=method, path=path, hint=HINT_CONNECT)
            hint = HINT_CONNECT
            if not retried:
                hint = ('The connection broke after the request was sent, so it may have been applied: check the '
                        'cluster state before trying again.')
            return RedisEnterpriseError('connection to %s broke: %s' % (where, reason),
                                        method=method, path=path, hint=hint)
        return RedisEnterpriseError('request to %s failed: %s' % (where, reason), method=method, path=path)

    def _http_error(self, method, path, response):
        text = response.text or ''
        body = None
        try:
            body = json.loads(text) if text.strip() else None
        except ValueError:
            body = None
        error_code = description = None
        if isinstance(body, dict):
            error_code = body.get('error_code')
            description = body.get('description') or body.get('message') or body.get('detail')
            if error_code is not None:
                error_code = str(error_code)
        is_json = isinstance(body, (dict, list))
        if description is None and not is_json and text.strip():
            description = ' '.join(text.split())[:_ERROR_TEXT_LIMIT]
        msg = description or response.reason or 'unexpected response'
        hint = hint_for(method, path, response.status_code, error_code, has_json_body=is_json)
        if response.status_code == 503:
            if method.upper() in IDEMPOTENT_METHODS:
                msg = '%s (after %d attempts)' % (msg, self.retries + 1)
            else:
                msg = '%s (a %s is not retried)' % (msg, method.upper())
        return RedisEnterpriseError(self._redact(msg), method=method, path=path, status=response.status_code,
                                    error_code=error_code, description=self._redact(description), hint=hint,
                                    details=body if is_json else None)

    def _send(self, method, path, expected, **kwargs):
        url = self.base_url + path
        try:
            response = self.session.request(method, url, timeout=self.timeout, verify=self.verify,
                                            allow_redirects=False, **kwargs)
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(method, path, exc)
        if response.status_code not in expected:
            raise self._http_error(method, path, response)
        text = response.text
        if not text or not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise RedisEnterpriseError(
                'invalid JSON in the response: %s' % self._redact(' '.join(text.split())[:_ERROR_TEXT_LIMIT]),
                method=method, path=path, status=response.status_code,
                hint='Does url point at the Redis Enterprise REST API (https, port 9443)?')

    def request(self, method, path, json_body=None, expected=(200,)):
        """Send one request; return the parsed JSON body, or None for an empty body."""
        kwargs = {}
        if json_body is not None:
            kwargs['json'] = json_body
        return self._send(method.upper(), path, expected, **kwargs)

    # the API

    def list_modules(self):
        """GET /v1/modules: every module of the cluster, bundled and user-defined."""
        return self.request('GET', '/v1/modules') or []

    def create_user_module(self, metadata):
        """POST /v2/modules/user-defined with a module.json-like dict; returns the module object."""
        return self.request('POST', '/v2/modules/user-defined', json_body=metadata, expected=(200, 201))

    def delete_user_module(self, uid):
        """DELETE /v2/modules/user-defined/<uid> (the cluster-wide object only)."""
        return self.request('DELETE', '/v2/modules/user-defined/%s' % quote(str(uid), safe=''),
                            expected=(200, 204))

    def list_artifacts(self):
        """GET /v2/local/modules/user-defined/artifacts on this node; versions as int."""
        artifacts = self.request('GET', '/v2/local/modules/user-defined/artifacts') or []
        for artifact in artifacts:
            if isinstance(artifact, dict) and 'version' in artifact:
                artifact['version'] = coerce_version(artifact['version'], artifact['version'])
        return artifacts

    def upload_artifact(self, zip_path):
        """POST a module package to this node, streamed from disk as multipart field ``module``."""
        path = '/v2/local/modules/user-defined/artifacts'
        try:
            body = MultipartFileBody(zip_path)
        except (IOError, OSError) as exc:
            raise RedisEnterpriseError('cannot read the artifact %s: %s' % (zip_path, exc), method='POST', path=path)
        with body:
            return self._send('POST', path, (200, 201), data=body, headers={'Content-Type': body.content_type})

    def delete_artifact(self, module_name, version):
        """DELETE /v2/local/modules/user-defined/artifacts/<module_name>/<int version> on this node."""
        return self.request('DELETE', '/v2/local/modules/user-defined/artifacts/%s/%d'
                            % (quote(str(module_name), safe=''), coerce_version(version, version)), expected=(200, 204))

    def get_cluster(self):
        """GET /v1/cluster."""
        return self.request('GET', '/v1/cluster')

    def set_allow_modules_upload(self, value):
        """PUT /v1/cluster {"allow_modules_upload": value}; returns the cluster object."""
        return self.request('PUT', '/v1/cluster', json_body={'allow_modules_upload': bool(value)})

    def list_nodes(self):
        """GET /v1/nodes."""
        return self.request('GET', '/v1/nodes') or []

    def list_bdbs(self):
        """GET /v1/bdbs."""
        return self.request('GET', '/v1/bdbs') or []

    def get_bdb(self, uid):
        """GET /v1/bdbs/<uid>."""
        return self.request('GET', '/v1/bdbs/%s' % quote(str(uid), safe=''))

    def upgrade_bdb(self, uid, body, dry_run=False):
        """POST /v1/bdbs/<uid>/upgrade (``?dry_run=true`` with dry_run); returns the bdb object with ``action_uid``."""
        path = '/v1/bdbs/%s/upgrade' % quote(str(uid), safe='')
        if dry_run:
            path += '?dry_run=true'
        return self.request('POST', path, json_body=body)

    def get_action(self, action_uid):
        """GET /v1/actions/<action_uid>: ``{action_uid, status, progress, ...}``."""
        return self.request('GET', '/v1/actions/%s' % quote(str(action_uid), safe=''))
