# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gate in front of every upload: the cluster's ``allow_modules_upload`` setting.

Redis Enterprise 8.2 and later refuse uploads (module objects and artifacts alike) with HTTP 403
``modules_upload_disabled`` while the setting is false. The setting is read only when a write is
needed, and changed only when the task may (``allow_uploads``); what was done is reported as
``allow_modules_upload_changed`` and ``allow_modules_upload_before``, so it can be restored.

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, failure


class UploadGate(object):
    """The ``allow_modules_upload`` setting, as one task sees and changes it.

    ``write_request`` names the refused request in the message (``POST /v2/modules/user-defined``),
    ``nothing_done`` ends it (``Nothing was changed``). Private to this collection.
    """

    def __init__(self, client, allow_uploads, check_mode, write_request, nothing_done):
        self.client = client
        self.allow_uploads = allow_uploads
        self.check_mode = check_mode
        self.write_request = write_request
        self.nothing_done = nothing_done
        self.before = None
        self.changed = False
        self.checked = False

    def result(self):
        """The result keys that report the setting."""
        return dict(allow_modules_upload_changed=self.changed, allow_modules_upload_before=self.before)

    def check(self):
        """Read the setting (once, now that a write is needed); fail before any write when it is off for good."""
        if self.checked:
            return
        self.checked = True
        cluster = self.client.get_cluster() or {}
        value = cluster.get('allow_modules_upload')
        # 8.0 has no such setting: None, and the write itself will tell.
        self.before = value if isinstance(value, bool) else None
        if value is False and not self.allow_uploads:
            raise failure(
                'uploads are disabled on this cluster (allow_modules_upload is false), so %s would be refused with '
                'HTTP 403 modules_upload_disabled; set allow_uploads: true to let this module enable it. %s'
                % (self.write_request, self.nothing_done), error_code='modules_upload_disabled')

    def enable(self):
        """Turn the setting on when check() found it off (in check mode, only record that it would be)."""
        if self.before is False and not self.changed:
            self._turn_on()

    def ensure(self):
        """check(), then enable(): the write can go ahead."""
        self.check()
        self.enable()

    def write(self, send, *args):
        """``send(*args)``; when the cluster refuses it as an upload while allowed, turn the setting on and send again.

        A cluster without the setting (8.0), or one whose setting changed since check(), may still refuse.
        """
        try:
            return send(*args)
        except RedisEnterpriseError as exc:
            if exc.status != 403 or exc.error_code != 'modules_upload_disabled':
                raise
            if not self.allow_uploads or self.changed:
                raise  # its hint already names allow_uploads
            self._turn_on()
            return send(*args)

    def _turn_on(self):
        if not self.check_mode:
            self.client.set_allow_modules_upload(True)
        self.changed = True
