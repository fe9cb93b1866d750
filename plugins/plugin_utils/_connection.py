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
