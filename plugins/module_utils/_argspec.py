# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options shared by every module, and the client built from them.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.redisops.custom_modules.plugins.module_utils import _client
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module

# ansible-core applies fallbacks before defaults (a fallback only fills an option the task did not
# set), so an environment variable wins over the default and a task argument wins over both.
CONNECTION_ARGUMENT_SPEC = dict(
    url=dict(type='str', default='https://localhost:9443', fallback=(env_fallback, ['REDIS_ENTERPRISE_URL'])),
    username=dict(type='str', fallback=(env_fallback, ['REDIS_ENTERPRISE_USERNAME'])),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['REDIS_ENTERPRISE_PASSWORD'])),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['REDIS_ENTERPRISE_VALIDATE_CERTS'])),
    ca_path=dict(type='path', fallback=(env_fallback, ['REDIS_ENTERPRISE_CA_PATH'])),
    timeout=dict(type='int', default=30, fallback=(env_fallback, ['REDIS_ENTERPRISE_TIMEOUT'])),
    allow_http=dict(type='bool', default=False, fallback=(env_fallback, ['REDIS_ENTERPRISE_ALLOW_HTTP'])),
)

CONNECTION_OPTIONS = tuple(sorted(CONNECTION_ARGUMENT_SPEC))


def connection_argument_spec():
    """A fresh copy of the connection options' argument spec. Private to this collection."""
    return copy.deepcopy(CONNECTION_ARGUMENT_SPEC)


def merge_argument_spec(module_args=None):
    """The connection options plus ``module_args``, for AnsibleModule(argument_spec=...).

    A module option may not redefine a connection option. Private to this collection.
    """
    spec = connection_argument_spec()
    for name, option in (module_args or {}).items():
        if name in spec:
            raise ValueError('option %s is a connection option and cannot be redefined' % name)
        spec[name] = copy.deepcopy(option)
    return spec


def _no_nul(value):
    if isinstance(value, bytes):
        return value.replace(b'\x00', b'\\x00')
    if isinstance(value, type(u'')):
        return value.replace(u'\x00', u'\\x00')
    return value


class RedisEnterpriseModule(AnsibleModule):
    """AnsibleModule whose log lines (syslog, the journal) show a NUL as ``\\x00`` instead of carrying it.

    AnsibleModule logs its arguments before the module runs; Python 3.13's ``syslog`` refuses a string with a NUL
    (ValueError), so an argument with one (a module name, say) ended in a traceback before the module's own check
    could refuse it with a clear message. Private to this collection.
    """

    def log(self, msg, log_args=None):
        if log_args:
            log_args = dict((key, _no_nul(value)) for key, value in log_args.items())
        return super(RedisEnterpriseModule, self).log(_no_nul(msg), log_args=log_args)


def create_module(module_args=None, supports_check_mode=True, **kwargs):
    """A RedisEnterpriseModule with the connection options merged in. Private to this collection."""
    return RedisEnterpriseModule(argument_spec=merge_argument_spec(module_args),
                                 supports_check_mode=supports_check_mode, **kwargs)


def client_from_module(module, retries=3, backoff_factor=0.5):
    """A Client from the module's connection options; fails the module when that is impossible.

    Private to this collection.
    """
    if not _client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=_client.REQUESTS_IMPORT_ERROR)
    params = module.params
    missing = [name for name in ('username', 'password') if not params.get(name)]
    if missing:
        module.fail_json(msg='missing %s: set the option%s %s or the environment variable%s %s' % (
            ' and '.join(missing),
            's' if len(missing) > 1 else '',
            ' and '.join(missing),
            's' if len(missing) > 1 else '',
            ' and '.join('REDIS_ENTERPRISE_%s' % name.upper() for name in missing)))
    if not params.get('url'):
        module.fail_json(msg='missing url: set the option url or the environment variable REDIS_ENTERPRISE_URL')
    # A password written into the URL is ignored, but must not show up in the result (invocation) either.
    url_password = _url_password(params['url'])
    if url_password:
        module.no_log_values.add(url_password)
    try:
        client = _client.Client(
            params['url'], params['username'], params['password'],
            validate_certs=params.get('validate_certs', True),
            ca_path=params.get('ca_path'),
            timeout=params.get('timeout') or 30,
            retries=retries,
            backoff_factor=backoff_factor,
            allow_http=bool(params.get('allow_http')),
        )
    except RedisEnterpriseError as exc:
        fail_module(module, exc)
    # One client per task, so each warning is shown once per task however many requests follow.
    for warning in client.warnings:
        module.warn(warning)
    return client


def _url_password(url):
    """The password part of userinfo in ``url`` (``https://user:password@host``), or None."""
    if not isinstance(url, str) or '://' not in url:
        return None
    authority = url.partition('://')[2]
    if '@' not in authority:
        return None
    userinfo = authority.rpartition('@')[0]
    return userinfo.partition(':')[2] or None


# The download option of redis_module_artifact and redis_user_module. Their action plugins fetch the package on the
# controller (plugin_utils._download) and hand the module the copy: the module itself never downloads.
DOWNLOAD_ARGUMENT_SPEC = dict(type='dict', options=dict(
    url=dict(type='str', required=True),
    checksum=dict(type='str', required=True),
    ca_path=dict(type='path'),
    validate_certs=dict(type='bool', default=True),
    headers=dict(type='dict'),
    url_username=dict(type='str'),
    url_password=dict(type='str', no_log=True),
    timeout=dict(type='int', default=30),
    allow_http=dict(type='bool', default=False),
    cache_dir=dict(type='path'),
))

DOWNLOAD_ON_CONTROLLER = ('download is fetched on the controller by the action plugin of this module, which hands the '
                          'module the downloaded copy; it cannot be used where that action plugin does not run')


def download_argument_spec():
    """A fresh copy of the download option's spec. Private to this collection."""
    return copy.deepcopy(DOWNLOAD_ARGUMENT_SPEC)
