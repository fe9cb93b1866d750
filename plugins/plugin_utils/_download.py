# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module packages from an artifact repository: fetched once per checksum into a cache on the controller.

A ``Download`` is one package's address and how to get it (url, checksum, TLS settings, headers, credentials),
checked before any connection. ``PackageCache.fetch`` returns the path of a verified copy: the cached file when one
is there and still has the checksum, else a download streamed to disk in chunks (constant memory) whose SHA-256 is
computed on the way and compared before the file is given a name in the cache; nothing reads a downloaded file
before that. One lock file per checksum makes the forks of a run (one action per host) wait for the first download
instead of starting their own. Every message names the url without its credentials, query or fragment, and never
shows a password or a header's value.

Controller-side only (the action plugins and the role's read pass). This module is private to this collection: its
interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import hashlib
import os
import re
import tempfile

from urllib.parse import unquote, urlsplit

try:
    import fcntl
except ImportError:  # pragma: no cover - Ansible controllers are POSIX systems
    fcntl = None

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import MAX_PACKAGE_BYTES
from ansible_collections.redisops.custom_modules.plugins.module_utils._client import _innermost_reason as _reason
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import tls_hint

try:
    import requests
    import urllib3
    import urllib3.exceptions
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - requests is a requirement of the collection on the controller
    requests = None

CHUNK_SIZE = 1024 * 1024
DEFAULT_TIMEOUT = 30
# Every option an item or a module's download may hold; url and checksum are required.
OPTIONS = ('url', 'checksum', 'ca_path', 'validate_certs', 'headers', 'url_username', 'url_password', 'timeout',
           'allow_http')
SERVER = 'the artifact repository'
_CHECKSUM = re.compile(r'^sha256:([0-9a-fA-F]{64})$')
_SAFE_NAME = re.compile(r'[^A-Za-z0-9._+-]')
_REDACTED = '********'


class DownloadError(Exception):
    """A package that cannot be fetched; ``msg`` says why and what to do, and holds no secret."""

    def __init__(self, msg):
        super(DownloadError, self).__init__(msg)
        self.msg = msg


def default_cache_dir(environ=None):
    """``$XDG_CACHE_HOME/redisops.custom_modules/packages``, by default ``~/.cache/redisops.custom_modules/packages``."""
    environ = os.environ if environ is None else environ
    base = environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'redisops.custom_modules', 'packages')


def shown_url(url):
    """What a message may show of ``url``: scheme, host, port and path; never userinfo, query or fragment.

    >>> shown_url('https://ci:s3cret@repo.example.com/hello.zip?X-Amz-Signature=abc#x')
    'https://repo.example.com/hello.zip'
    """
    scheme, sep, rest = str(url).partition('://')
    if not sep:
        scheme, rest = '', str(url)
    for stop in '?#':
        rest = rest.partition(stop)[0]
    host, slash, path = rest.partition('/')
    return '%s%s%s%s%s' % (scheme, sep, host.rpartition('@')[2], slash, path)


def file_name(url):
    """The package's file name as the url gives it (the upload sends a file name), made safe; ``package.zip`` if none.

    >>> file_name('https://repo.example.com/modules/hello%2B1.0.0.zip?sig=1'), file_name('https://repo.example.com/')
    ('hello+1.0.0.zip', 'package.zip')
    """
    path = urlsplit(str(url)).path
    name = _SAFE_NAME.sub('_', unquote(path.rpartition('/')[2])).lstrip('.')
    return name[:128] or 'package.zip'


def sha256_of(path):
    """The SHA-256 of the file at ``path`` (hex), read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _boolean(value, name, where):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', 'yes', 'on', '1'):
        return True
    if text in ('false', 'no', 'off', '0'):
        return False
    raise DownloadError('%s%s must be true or false, got %r' % (where, name, value))


class Download:
    """One package to fetch: its url, the SHA-256 it must have, and how to reach it."""

    def __init__(self, url, checksum, ca_path=None, validate_certs=True, headers=None, url_username=None,
                 url_password=None, timeout=DEFAULT_TIMEOUT, allow_http=False):
        self.url = url
        self.digest = checksum.partition(':')[2].lower()
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        self.headers = dict(headers or {})
        self.url_username = url_username
        self.url_password = url_password
        self.timeout = timeout
        self.allow_http = allow_http

    @property
    def checksum(self):
        return 'sha256:%s' % self.digest

    @property
    def shown(self):
        return shown_url(self.url)

    @property
    def file_name(self):
        return file_name(self.url)

    @classmethod
    def from_options(cls, options, where=''):
        """A Download from an item or a module's ``download`` option; DownloadError names what is wrong.

        ``where`` prefixes each message (``module_lifecycle_artifacts[0]: ``). Nothing is contacted.
        """
        unknown = sorted(set(options) - set(OPTIONS) - set(['cache_dir']))
        if unknown:
            raise DownloadError('%sunknown option(s) %s; a download takes %s' % (where, ', '.join(unknown), ', '.join(OPTIONS)))
        url = options.get('url')
        if not isinstance(url, str) or not url.strip():
            raise DownloadError('%surl must be the https:// address of the package' % where)
        url = url.strip()
        allow_http = _boolean(options.get('allow_http', False) or False, 'allow_http', where)
        validate_certs = _boolean(True if options.get('validate_certs') is None else options['validate_certs'],
                                  'validate_certs', where)
        shown = shown_url(url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == 'http' and not allow_http:
            raise DownloadError('%surl %s uses plain HTTP: anyone on the network path can read the credentials and replace '
                                'the file. Use https://; only for a repository that serves plain HTTP alone, on a network you '
                                'trust, set allow_http: true on the item (the checksum still guards the file).' % (where, shown))
        if scheme not in ('http', 'https') or not parts.hostname:
            raise DownloadError('%surl %s is not an https:// address of the package' % (where, shown))
        try:
            parts.port
        except ValueError:
            raise DownloadError('%surl %s has an invalid port' % (where, shown))
        checksum = options.get('checksum')
        if checksum is None or not str(checksum).strip():
            raise DownloadError('%schecksum is required with url: sha256:<64 hex digits> of the package (sha256sum prints '
                                'it), so a file that is not the one meant is refused before it is used' % where)
        checksum = str(checksum).strip()
        if not _CHECKSUM.match(checksum):
            algorithm = checksum.partition(':')[0] if ':' in checksum else None
            raise DownloadError('%schecksum %s is not sha256:<64 hex digits>%s' % (
                where, checksum, ' (only sha256 is accepted, not %s)' % algorithm if algorithm and algorithm.lower() != 'sha256' else ''))
        headers = options.get('headers') or {}
        if not isinstance(headers, dict):
            raise DownloadError('%sheaders must be a dictionary of header names and values' % where)
        timeout = options.get('timeout')
        try:
            timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        except (TypeError, ValueError):
            timeout = -1
        if timeout <= 0:
            raise DownloadError('%stimeout must be a positive number of seconds, got %r' % (where, options.get('timeout')))
        username, password = options.get('url_username'), options.get('url_password')
        if password is not None and not username:
            raise DownloadError('%surl_password is set without url_username' % where)
        ca_path = options.get('ca_path')
        if ca_path:
            ca_path = os.path.expanduser(str(ca_path))
            if not os.path.isfile(ca_path):
                raise DownloadError('%sca_path %s is not a file: point it at the PEM file of the CA that signed the '
                                    'certificate of %s' % (where, ca_path, SERVER))
        return cls(url, checksum, ca_path=ca_path or None, validate_certs=validate_certs,
                   headers=dict((str(k), str(v)) for k, v in headers.items()),
                   url_username=str(username) if username else None,
                   url_password=None if password is None else str(password), timeout=timeout, allow_http=allow_http)

    def secrets(self):
        """Texts no message may show: the password, the url's userinfo and query, every header's value."""
        found = [self.url_password] + list(self.headers.values())
        parts = urlsplit(self.url)
        found.extend([parts.password, parts.query, parts.fragment])
        return [text for text in found if text and len(str(text)) >= 3]

    def redact(self, text):
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, _REDACTED)
        return text

    def warnings(self):
        if not self.validate_certs and (self.url_password or self.headers):
            return ['validate_certs is false for %s: the server is not authenticated, so whoever answers at that address '
                    'receives the credentials (the checksum still guards the file). Set ca_path to the CA that signed '
                    'its certificate instead.' % self.shown]
        return []


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on ``path`` (created), held until the block ends: one fetch per checksum at a time."""
    handle = open(path, 'a')
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


class PackageCache:
    """Packages downloaded on this controller, one folder per SHA-256: ``<root>/sha256/<hex>/<file name>``."""

    def __init__(self, root=None):
        self.root = os.path.abspath(os.path.expanduser(root or default_cache_dir()))

    def folder(self, digest):
        return os.path.join(self.root, 'sha256', digest)

    def fetch(self, download, session=None):
        """``(path, downloaded, warnings)``: a verified copy of ``download``'s package; DownloadError if there is none.

        ``downloaded`` is false when the cached copy was used. ``session`` (tests) replaces the requests session.
        """
        folder = os.path.dirname(self.folder(download.digest))
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise DownloadError('cannot create the package cache %s: %s. Set the cache to a folder this user can write '
                                '(module_lifecycle_package_cache, or the cache_dir of download)' % (folder, exc.strerror or exc))
        warnings = download.warnings()
        with _locked(os.path.join(folder, download.digest + '.lock')):
            cached, stale = self._cached(download.digest)
            if stale:
                warnings.append('the cached copy of %s no longer had checksum %s (%s removed); it was downloaded again'
                                % (download.shown, download.checksum, stale))
            if cached:
                return cached, False, warnings
            return self._download(download, session), True, warnings

    def _cached(self, digest):
        """``(path, stale)``: the cached file when it still has ``digest``; a copy that does not is removed."""
        here = self.folder(digest)
        if not os.path.isdir(here):
            return None, None
        for name in sorted(os.listdir(here)):
            path = os.path.join(here, name)
            if not os.path.isfile(path):
                continue
            if sha256_of(path) == digest:
                return path, None
            os.remove(path)
            return None, path
        return None, None

    def _download(self, download, session=None):
        if requests is None:
            raise DownloadError('the Python library requests is required on the controller to download %s' % download.shown)
        own = session is None
        session = session or _session(download.allow_http)
        temporary = None
        try:
            response = self._get(session, download)
            try:
                temporary, size, digest, head = self._stream(response, download)
            finally:
                response.close()
            if digest != download.digest:
                raise DownloadError(download.redact(_mismatch(download, digest, size, head, response.headers.get('Content-Type'))))
            here = self.folder(download.digest)
            os.makedirs(here, mode=0o700, exist_ok=True)
            path = os.path.join(here, download.file_name)
            os.replace(temporary, path)
            temporary = None
            return path
        finally:
            if temporary is not None and os.path.exists(temporary):
                os.remove(temporary)
            if own:
                session.close()

    @staticmethod
    def _get(session, download):
        auth = (download.url_username, download.url_password or '') if download.url_username else None
        verify = download.ca_path or download.validate_certs
        if not download.validate_certs:
            # Said once by warnings(); urllib3 would warn on every request (and from threads, deadlock 2.16's display).
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        shown = download.shown
        try:
            response = session.get(download.url, headers=download.headers or None, auth=auth, verify=verify,
                                   timeout=download.timeout, stream=True, allow_redirects=True)
        except requests.exceptions.SSLError as exc:
            reason = download.redact(_reason(exc))
            raise DownloadError('TLS handshake with %s failed: %s. %s' % (shown, reason, tls_hint(reason, SERVER)))
        except requests.exceptions.InvalidSchema:
            raise DownloadError('%s redirected to an address that is not https://: refused, as the url itself would be '
                                '(allow_http: true only for a repository on a network you trust)' % shown)
        except requests.exceptions.Timeout:
            raise DownloadError('no answer from %s within %s s: is the repository up? Raise timeout on the item for a '
                                'slow one' % (shown, _seconds(download.timeout)))
        except requests.exceptions.RequestException as exc:
            raise DownloadError('cannot download %s: %s. Is the address right and the repository reachable from the '
                                'controller (proxy settings: HTTPS_PROXY, NO_PROXY)?' % (shown, download.redact(_reason(exc))))
        if response.status_code != 200:
            status = response.status_code
            response.close()
            hint = _status_hint(status, download)
            raise DownloadError('GET %s answered HTTP %d %s: %s' % (shown, status, response.reason or '', hint))
        return response

    def _stream(self, response, download):
        """Write the body to a temporary file in the cache: ``(path, size, sha256 hex, first bytes)``."""
        length = response.headers.get('Content-Length')
        if length and length.isdigit() and int(length) > MAX_PACKAGE_BYTES:
            raise DownloadError(_too_large(download, int(length)))
        handle = tempfile.NamedTemporaryFile(dir=os.path.dirname(self.folder(download.digest)), prefix='.%s.' % download.digest[:12],
                                             suffix='.part', delete=False)
        digest, size, head = hashlib.sha256(), 0, b''
        try:
            with handle:
                for chunk in response.iter_content(CHUNK_SIZE):
                    size += len(chunk)
                    if size > MAX_PACKAGE_BYTES:
                        raise DownloadError(_too_large(download, size, more=True))
                    if len(head) < 64:
                        head += chunk[:64]
                    digest.update(chunk)
                    handle.write(chunk)
        except requests.exceptions.RequestException as exc:
            os.remove(handle.name)
            raise DownloadError('the download of %s broke after %d bytes: %s. Run again' % (
                download.shown, size, download.redact(_reason(exc))))
        except BaseException:
            os.remove(handle.name)
            raise
        return handle.name, size, digest.hexdigest(), head


def _session(allow_http):
    """A session with a transport for https:// only (and http:// when allowed): a redirect to http:// fails."""
    session = requests.Session()
    session.headers['User-Agent'] = 'redisops.custom_modules'
    session.mount('https://', HTTPAdapter())
    if allow_http:
        session.mount('http://', HTTPAdapter())
    else:
        session.adapters.pop('http://', None)
    return session


def _seconds(value):
    return ('%d' % value) if float(value).is_integer() else ('%s' % value)


def _status_hint(status, download):
    if status == 401:
        if download.url_username or download.headers:
            return 'the repository rejected the credentials: check url_username and url_password (or the headers)'
        return 'the repository needs credentials: set url_username and url_password (or an Authorization header)'
    if status == 403:
        return 'the credentials are not allowed to read this file: check the account\'s permissions, or the token'
    if status == 404:
        return 'there is no file at that address: check the url (repository, path, file name and version)'
    if status >= 500:
        return 'the repository failed to serve the file: try again later'
    return 'the repository did not serve the file: check the url'


def _too_large(download, size, more=False):
    return ('%s is %s%d bytes, larger than the %d bytes (500 MB) Redis Enterprise accepts for a module package: '
            'nothing was kept. Check the url' % (download.shown, 'more than ' if more else '', size, MAX_PACKAGE_BYTES))


def _mismatch(download, digest, size, head, content_type):
    text = ('checksum mismatch for %s: expected %s, the %d bytes downloaded have sha256:%s; the file was discarded. '
            % (download.shown, download.checksum, size, digest))
    if not head.startswith(b'PK'):
        text += ('The body is not a zip (Content-Type %s, it begins %r): the repository answered with something else, '
                 'such as a login or error page - check the url and the credentials. '
                 % (content_type or 'not given', head[:16].decode('latin-1')))
    return text + 'If the package was rebuilt on purpose, set checksum to the new value (sha256sum prints it).'


def fetch_option(value):
    """A module's ``download`` option, fetched: ``(path, facts, warnings)``; DownloadError names what is wrong.

    ``facts`` is what the module returns as ``download``: the url as shown, the checksum, the cached copy's path and
    whether this task downloaded it.
    """
    if not isinstance(value, dict):
        raise DownloadError('download must be a dictionary with url and checksum (and optionally ca_path, validate_certs, '
                            'headers, url_username, url_password, timeout, allow_http, cache_dir)')
    options = dict((name, option) for name, option in value.items() if option is not None)
    cache_dir = options.pop('cache_dir', None)
    download = Download.from_options(options, 'download: ')
    path, downloaded, warnings = PackageCache(cache_dir).fetch(download)
    return path, dict(url=download.shown, checksum=download.checksum, path=path, downloaded=downloaded), warnings
