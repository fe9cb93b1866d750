# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gate in front of every upload: the cluster's ``allow_modules_upload`` setting.

Redis Enterprise 8.2 and later refuse uploads (module objects and artifacts alike) with HTTP 403
``modules_upload_disabled`` while the setting is false. The setting is read only when a write is
needed, and changed only when the task may (``allow_uploads``); what was done is reported as
``allow_modules_upload_changed`` and ``allow_modules_upload_before``, so it can be restored.

``apply_setting()`` sets the value outright, for the module that enables the setting for a run and
restores it afterwards (redis_cluster_upload_gate).

This module is private to this collection: its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, failure


def upload_setting(cluster):
    """``allow_modules_upload`` of a ``GET /v1/cluster`` object: True or False, or None when there is none.

    Redis Enterprise before 8.2 has no such setting (uploads are always allowed there); a value that
    is not a boolean is treated the same way. Private to this collection.
    """
    value = (cluster or {}).get('allow_modules_upload')
    return value if isinstance(value, bool) else None


MIB = 1024 * 1024


def upload_limit_mb(cluster):
    """``module_upload_max_size_mb`` of a ``GET /v1/cluster`` object (a positive int), or None when there is none.

    A captured Redis Enterprise 8.0 cluster reports it (40); it is not documented, and whether it limits the
    artifact uploads of user-defined modules is not known, so the collection warns rather than refuses.
    """
    value = (cluster or {}).get('module_upload_max_size_mb')
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return value


def size_mb(size):
    """``45.2 MB`` (MB of 1,048,576 bytes, as the 500 MB cap)."""
    return '%.1f MB' % (size / float(MIB))


def over_limit(size, limit_mb):
    """Whether a package of ``size`` bytes is larger than a ``module_upload_max_size_mb`` of ``limit_mb``."""
    return limit_mb is not None and size is not None and size > limit_mb * MIB


def limit_advice(limit_mb, size):
    """How to raise the setting so that a package of ``size`` bytes fits it."""
    needed = int(-(-size // MIB))
    return ('raise it with PUT /v1/cluster {"module_upload_max_size_mb": %d} (admin role), then run again'
            % max(needed, int(limit_mb) + 1))


def size_warning(what, size, limit_mb, where):
    """The warning given before uploading a package larger than the cluster's setting, or None."""
    if not over_limit(size, limit_mb):
        return None
    return ('%s is %s, larger than module_upload_max_size_mb (%s MB) of %s (GET /v1/cluster). Redis Enterprise does not '
            'document whether that setting limits module artifacts; if a node refuses the upload, %s'
            % (what, size_mb(size), limit_mb, where, limit_advice(limit_mb, size)))


def refusal_hint(size, limit_mb):
    """The hint added to a node's refusal of an upload larger than the cluster's setting, or None."""
    if not over_limit(size, limit_mb):
        return None
    return ('The package is %s and the cluster\'s module_upload_max_size_mb is %s MB: the node most likely refused it for '
            'its size; %s.' % (size_mb(size), limit_mb, limit_advice(limit_mb, size)))


def apply_setting(client, allowed, check_mode=False):
    """Bring ``allow_modules_upload`` to ``allowed``: ``GET /v1/cluster``, then ``PUT`` only when it differs.

    Returns ``dict(previous=..., allowed=..., supported=..., changed=...)``: the value before and
    after (in check mode, the value it would have; nothing is sent). On a cluster without the setting,
    nothing is sent: ``supported`` is False, ``previous`` and ``allowed`` are None and ``changed`` is False.
    Raises RedisEnterpriseError (the client's, with its hint) or a failure() when the cluster
    answers the PUT with another value. Private to this collection.
    """
    allowed = bool(allowed)
    previous = upload_setting(client.get_cluster())
    if previous is None:
        return dict(previous=None, allowed=None, supported=False, changed=False)
    if previous == allowed:
        return dict(previous=previous, allowed=previous, supported=True, changed=False)
    if not check_mode:
        after = upload_setting(client.set_allow_modules_upload(allowed))
        # The PUT answers with the cluster object; one that does not show the setting is taken at its word.
        if after is not None and after != allowed:
            raise failure(
                'PUT /v1/cluster {"allow_modules_upload": %s} was accepted, but the cluster still reports '
                'allow_modules_upload: %s. Check the cluster (another change may have been made at the same time), '
                'then run the task again' % (str(allowed).lower(), str(after).lower()),
                previous=previous, allowed=after, supported=True)
    return dict(previous=previous, allowed=allowed, supported=True, changed=True)


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
        self.limit_mb = None

    def result(self):
        """The result keys that report the setting."""
        return dict(allow_modules_upload_changed=self.changed, allow_modules_upload_before=self.before)

    def check(self):
        """Read the setting (once, now that a write is needed); fail before any write when it is off for good."""
        if self.checked:
            return
        self.checked = True
        cluster = self.client.get_cluster()
        self.limit_mb = upload_limit_mb(cluster)
        value = upload_setting(cluster)
        # 8.0 has no such setting: None, and the write itself will tell.
        self.before = value
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

    # How many times a write refused as an upload is sent again after turning the setting on. Another run
    # (a job slice, or a second playbook run) that enabled the setting itself restores it at its end, maybe
    # between our enable and our write: each refusal turns it on again, and this run records that it did.
    RESENDS = 3

    def write(self, send, *args):
        """``send(*args)``; when the cluster refuses it as an upload while allowed, turn the setting on and send again.

        The setting is turned on again even when this task turned it on already: another run may have restored it
        since (concurrent runs each restore what they enabled). A cluster without the setting (8.0), or one whose
        setting keeps being turned off, may still refuse after RESENDS attempts.
        """
        resends = 0
        while True:
            try:
                return send(*args)
            except RedisEnterpriseError as exc:
                if exc.status != 403 or exc.error_code != 'modules_upload_disabled':
                    raise
                if not self.allow_uploads or resends >= self.RESENDS:
                    raise  # its hint already names allow_uploads
                resends += 1
                self._turn_on()

    def _turn_on(self):
        if not self.check_mode:
            self.client.set_allow_modules_upload(True)
        self.changed = True
