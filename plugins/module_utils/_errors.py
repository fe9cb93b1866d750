# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one exception type of this collection's modules, its hints, and the one fail path.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# Permission each (method, path prefix) needs, as Redis Enterprise names it. The first match wins,
# so longer prefixes come first. Used only to say which permission a 403 is about.
_PERMISSIONS = (
    ('GET', '/v1/cluster', 'view_cluster_info'),
    ('PUT', '/v1/cluster', 'update_cluster'),
    ('GET', '/v1/nodes', 'view_all_nodes_info'),
    ('GET', '/v1/bdbs', 'view_all_bdbs_info'),
    ('POST', '/v1/bdbs/', 'update_bdb_with_action'),
    ('GET', '/v1/actions', 'view_status_of_cluster_action'),
    ('GET', '/v1/modules', 'view_cluster_modules'),
    ('GET', '/v2/modules', 'view_cluster_modules'),
    ('GET', '/v2/local/modules', 'view_cluster_modules'),
    ('*', '/v2/modules', 'manage_cluster_modules'),
    ('*', '/v2/local/modules', 'manage_cluster_modules'),
    ('*', '/v1/modules', 'manage_cluster_modules'),
)

HINT_401 = ('The cluster rejected the credentials: check username and password '
            '(or REDIS_ENTERPRISE_USERNAME / REDIS_ENTERPRISE_PASSWORD).')
HINT_UPLOAD_DISABLED = ('To allow uploads, set allow_uploads: true on the module, '
                        'or module_lifecycle_allow_uploads: true in the role, or enable allow_modules_upload on the cluster '
                        '(PUT /v1/cluster {"allow_modules_upload": true}).')
HINT_MODULE_IN_USE = ('Databases still use this module: delete them or upgrade them to another module version first.')
HINT_503 = ('The node is not responding or is not (yet) a member of a cluster: check the node, '
            'or send the request to another node of the cluster.')
HINT_CONNECT = ('Cannot reach the REST API: is the node up, and are the url host and port (usually 9443) right?')
HINT_TLS = ('TLS certificate verification failed: set ca_path to the CA (or proxy certificate) that signed the '
            "cluster's certificate; use validate_certs: false only as a last resort.")
# OpenSSL's reasons under X509_V_FLAG_X509_STRICT, which Python 3.13+ sets by default (ssl.VERIFY_X509_STRICT).
STRICT_TLS_REASONS = ('does not include key usage extension', 'without key usage keyCertSign', 'not marked critical',
                      'Authority Key Identifier', 'Subject Key Identifier', 'key usage does not include')
HINT_TLS_STRICT = ("Python 3.13 and later verify certificates strictly (VERIFY_X509_STRICT) and the cluster's CA "
                   "certificate breaks one of the stricter rules - most often a CA made without a keyUsage extension, "
                   "as many older self-made CAs are. Reissue the CA with 'basicConstraints = critical, CA:TRUE' and "
                   "'keyUsage = critical, keyCertSign, cRLSign' (openssl req -x509 -addext ...), sign the cluster's "
                   "certificates with it (rladmin cluster certificate set) and point ca_path at the new CA; until then, "
                   "run the controller (or the node's Python, with run_from: node) on Python 3.12 or older. "
                   "validate_certs: false only as a last resort.")


HINT_TLS_SERVER = ('TLS certificate verification failed: set ca_path to the CA (or proxy certificate) that signed the '
                   "certificate of %s; use validate_certs: false only as a last resort.")
HINT_TLS_STRICT_SERVER = ("Python 3.13 and later verify certificates strictly (VERIFY_X509_STRICT) and the CA that signed "
                          "the certificate of %s breaks one of the stricter rules - most often a CA made without a keyUsage "
                          "extension. Reissue the CA with 'basicConstraints = critical, CA:TRUE' and "
                          "'keyUsage = critical, keyCertSign, cRLSign', have the server's certificate signed by it and "
                          "point ca_path at the new CA; until then, run the controller on Python 3.12 or older. "
                          "validate_certs: false only as a last resort.")


def tls_hint(reason, server=None):
    """The hint for a failed TLS handshake: the strict-verification one when OpenSSL's reason is one of its rules.

    ``server`` names a server other than the cluster (``'the artifact repository'``): the same hints, in its words.
    """
    strict = bool(reason) and any(text.lower() in reason.lower() for text in STRICT_TLS_REASONS)
    if server:
        return (HINT_TLS_STRICT_SERVER if strict else HINT_TLS_SERVER) % server
    return HINT_TLS_STRICT if strict else HINT_TLS


HINT_OLD_CLUSTER = ('This endpoint does not exist here: user-defined modules need Redis Enterprise 8.0.2 or later '
                    '(or the url does not point at the REST API).')


def permission_for(method, path):
    """Name of the Redis Enterprise permission a request needs, or None when unknown.

    Private to this collection.
    """
    method = (method or '').upper()
    path = path or ''
    for perm_method, prefix, permission in _PERMISSIONS:
        if perm_method in ('*', method) and path.startswith(prefix):
            return permission
    return None


def hint_for(method, path, status, error_code=None, has_json_body=True):
    """A one-sentence hint for a failed request, or None when there is nothing useful to say.

    Private to this collection.
    """
    if error_code == 'modules_upload_disabled':
        return HINT_UPLOAD_DISABLED
    if error_code == 'module_in_use':
        return HINT_MODULE_IN_USE
    if status == 401:
        return HINT_401
    if status == 403:
        permission = permission_for(method, path)
        if permission:
            if permission == 'update_bdb_with_action':
                return ('The user\'s role lacks the permission update_bdb_with_action: use a user with the admin, '
                        'cluster_member or db_member role.')
            return ('The user\'s role lacks the permission %s: use a user with the admin role '
                    '(or a role that has %s).' % (permission, permission))
        return 'The user\'s role does not allow this request: use a user with the admin role.'
    if status == 404 and not has_json_body and '/user-defined' in (path or ''):
        return HINT_OLD_CLUSTER
    if status == 503:
        return HINT_503
    return None


def _join_message(msg, method, path, status, error_code, hint):
    head = ' '.join(part for part in (method, path) if part)
    code = ''
    if status is not None:
        code = 'HTTP %s' % status
    if error_code:
        code = ('%s %s' % (code, error_code)).strip()
    text = (msg or '').strip()
    if hint:
        if text and not text.endswith(('.', '!', '?')):
            text += '.'
        text = ('%s %s' % (text, hint)).strip()
    parts = [part for part in (head, code, text) if part]
    return ': '.join(parts)


class RedisEnterpriseError(Exception):
    """Every failure of a module: the request, the server's answer and a hint, or just what went wrong.

    ``msg`` (and ``str()``) is the full human-readable message, e.g.
    ``POST /v2/modules/user-defined: HTTP 403 modules_upload_disabled: <description>. <hint>``.
    The ``msg`` argument is the core text (the server's description, or what went wrong);
    ``description`` keeps the server's own text. Never carries credentials.

    ``extra`` holds further result keys for fail_json (for example ``differences``). A failure that
    is not about a request (see failure()) is given none of method, path, status, error_code,
    description, hint and details: its result is ``msg`` and ``extra`` only.

    Private to this collection.
    """

    def __init__(self, msg, method=None, path=None, status=None, error_code=None,
                 description=None, hint=None, details=None, extra=None):
        self.method = method.upper() if method else method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.description = description
        self.hint = hint
        self.details = details
        self.extra = dict(extra or {})
        self.about_request = any(value is not None
                                 for value in (method, path, status, error_code, description, hint, details))
        self.core = msg or description
        self.msg = _join_message(self.core, self.method, path, status, error_code, hint)
        super(RedisEnterpriseError, self).__init__(self.msg)

    def with_hint(self, hint):
        """The same failure with ``hint`` said first, before the hint it had."""
        return RedisEnterpriseError(self.core, method=self.method, path=self.path, status=self.status,
                                    error_code=self.error_code, description=self.description,
                                    hint=' '.join(part for part in (hint, self.hint) if part), details=self.details,
                                    extra=self.extra)

    def __str__(self):
        return self.msg

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self.msg)

    def to_result(self):
        """Keys for fail_json: msg, method, path, status, error_code, description, hint (and details), then extra.

        A failure that is not about a request has only msg and extra.
        """
        if not self.about_request:
            result = dict(msg=self.msg)
            result.update(self.extra)
            return result
        result = dict(
            msg=self.msg,
            method=self.method,
            path=self.path,
            status=self.status,
            error_code=self.error_code,
            description=self.description,
            hint=self.hint,
        )
        if self.details is not None:
            result['details'] = self.details
        result.update(self.extra)
        return result


def failure(msg, **extra):
    """A RedisEnterpriseError for a failure that is not an HTTP error: fail_json gets msg and ``extra``.

    The keys of ``extra`` are reported as they are (``error_code`` in ``extra`` does not change the
    message). Private to this collection.
    """
    return RedisEnterpriseError(msg, extra=extra)


def fail_module(module, exc, **extra):
    """Fail the module with everything the exception knows, plus ``extra`` result keys.

    Accepts any exception; a non-RedisEnterpriseError is reported with its text only. A key the
    exception carries in its own ``extra`` wins over the same key in ``extra`` here: it was set
    where the failure happened. Private to this collection.
    """
    if isinstance(exc, RedisEnterpriseError):
        result = exc.to_result()
        own = exc.extra
    else:
        result = dict(msg=str(exc) or type(exc).__name__)
        own = {}
    result.update((key, value) for key, value in extra.items() if key not in own)
    module.fail_json(**result)
