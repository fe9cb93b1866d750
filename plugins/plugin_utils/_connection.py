# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection options of a task, as the action plugins see them before the module runs.

Controller-side only. This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.redisops.custom_modules.plugins.module_utils._client import check_url
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError


def refused_url(module_args):
    """Why the task's ``url`` must not be used (the message the module would give), or None.

    Lets an action plugin fail before it reads, decrypts or copies a package. Only what the task
    says is judged: a url or allow_http left to the environment is read where the module runs, so
    the module decides. Anything malformed is also left to the module, whose messages users know.
    """
    url = module_args.get('url')
    if not isinstance(url, str):
        return None
    allow_http = module_args.get('allow_http')
    if allow_http is None:
        # REDIS_ENTERPRISE_ALLOW_HTTP may be set where the module runs: only the module knows.
        allow_http = True
    else:
        try:
            allow_http = boolean(allow_http, strict=True)
        except TypeError:
            return None
    try:
        check_url(url, allow_http)
    except RedisEnterpriseError as exc:
        return exc.msg
    return None


# The connection options the module_lifecycle role takes from a role variable or, when that is unset,
# from the environment of ansible-playbook; url is never among them (each node has its own).
ROLE_CONNECTION_SOURCES = dict(
    username=('module_lifecycle_username', 'REDIS_ENTERPRISE_USERNAME'),
    password=('module_lifecycle_password', 'REDIS_ENTERPRISE_PASSWORD'),
    ca_path=('module_lifecycle_ca_path', 'REDIS_ENTERPRISE_CA_PATH'),
    validate_certs=('module_lifecycle_validate_certs', 'REDIS_ENTERPRISE_VALIDATE_CERTS'),
    allow_http=('module_lifecycle_allow_http', 'REDIS_ENTERPRISE_ALLOW_HTTP'),
    timeout=('module_lifecycle_timeout', 'REDIS_ENTERPRISE_TIMEOUT'),
)

URL_ENVIRONMENT_IGNORED = ('REDIS_ENTERPRISE_URL is set, but the module_lifecycle role does not use it: each node is '
                           'reached at its own module_lifecycle_node_url (module_lifecycle_local_url with '
                           'module_lifecycle_run_from=node). Unset it, or set those variables in the inventory.')


def role_environment_warnings(environ):
    """The warnings the role's read pass gives about the REDIS_ENTERPRISE_* variables of ``environ``."""
    if environ.get('REDIS_ENTERPRISE_URL'):
        return [URL_ENVIRONMENT_IGNORED]
    return []


def role_argument_error(message):
    """``message`` (a failed validation of the read pass's options) with where the role took the value from.

    The role passes a connection option from its variable or, when that is unset, from the environment:
    a bad value in either reads as an option of a task the user never wrote. Other messages are returned as they are.
    """
    for option in sorted(ROLE_CONNECTION_SOURCES):
        if "'%s'" % option in message:
            variable, environment = ROLE_CONNECTION_SOURCES[option]
            return ('%s. In the module_lifecycle role, %s comes from the variable %s or, when that is unset, from the '
                    'environment variable %s: correct the one you set.' % (message.rstrip('. '), option, variable, environment))
    return message
