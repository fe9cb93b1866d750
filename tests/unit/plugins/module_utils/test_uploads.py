# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""UploadGate: allow_modules_upload read only when a write is needed, enabled only when allowed."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import (
    MIB, UploadGate, apply_setting, refusal_hint, size_warning, upload_limit_mb, upload_setting)

REFUSED = RedisEnterpriseError('Module upload is disabled', method='POST', path='/v2/modules/user-defined', status=403,
                               error_code='modules_upload_disabled')


class Cluster(object):
    def __init__(self, setting):
        self.cluster = {} if setting is None else {'allow_modules_upload': setting}
        self.calls = []

    def get_cluster(self):
        self.calls.append('get_cluster')
        return dict(self.cluster)

    def set_allow_modules_upload(self, value):
        self.calls.append('set_allow_modules_upload')
        self.cluster['allow_modules_upload'] = value
        return dict(self.cluster)


def gate(client, allow_uploads=False, check_mode=False):
    return UploadGate(client, allow_uploads, check_mode, 'POST /v2/modules/user-defined', 'Nothing was changed')


@pytest.mark.parametrize('setting', [True, None])
def test_nothing_to_do(setting):
    client = Cluster(setting)
    uploads = gate(client)
    uploads.ensure()
    uploads.ensure()
    assert client.calls == ['get_cluster']
    assert uploads.result() == dict(allow_modules_upload_changed=False, allow_modules_upload_before=setting)


def test_disabled_and_not_allowed_fails_before_writing():
    client = Cluster(False)
    with pytest.raises(RedisEnterpriseError) as caught:
        gate(client).check()
    assert caught.value.msg == (
        'uploads are disabled on this cluster (allow_modules_upload is false), so POST /v2/modules/user-defined would be '
        'refused with HTTP 403 modules_upload_disabled; set allow_uploads: true to let this module enable it. '
        'Nothing was changed')
    assert caught.value.to_result() == dict(msg=caught.value.msg, error_code='modules_upload_disabled')
    assert client.calls == ['get_cluster']


@pytest.mark.parametrize('check_mode, calls', [(False, ['get_cluster', 'set_allow_modules_upload']), (True, ['get_cluster'])])
def test_disabled_and_allowed_is_enabled_once(check_mode, calls):
    client = Cluster(False)
    uploads = gate(client, allow_uploads=True, check_mode=check_mode)
    uploads.ensure()
    uploads.enable()
    assert client.calls == calls
    assert uploads.result() == dict(allow_modules_upload_changed=True, allow_modules_upload_before=False)


def test_write_refused_is_enabled_and_resent_once():
    client = Cluster(None)
    sent = []

    def send(value):
        sent.append(value)
        if len(sent) == 1:
            raise REFUSED
        return value
    assert gate(client, allow_uploads=True).write(send, 'x') == 'x'
    assert sent == ['x', 'x'] and client.calls == ['set_allow_modules_upload']


@pytest.mark.parametrize('allow_uploads, sends', [(False, 1), (True, 1 + UploadGate.RESENDS)])
def test_write_refused_again_is_raised(allow_uploads, sends):
    client = Cluster(None)
    uploads = gate(client, allow_uploads=allow_uploads)
    sent = []

    def send():
        sent.append(1)
        raise REFUSED
    with pytest.raises(RedisEnterpriseError):
        uploads.write(send)
    assert uploads.changed is allow_uploads
    assert len(sent) == sends
    assert client.calls == ['set_allow_modules_upload'] * (sends - 1)


def test_write_refused_after_this_task_enabled_is_enabled_again():
    """Another run restored the setting between this task's enable and its write (concurrent runs, job slices)."""
    client = Cluster(False)
    uploads = gate(client, allow_uploads=True)
    uploads.ensure()
    assert client.cluster['allow_modules_upload'] is True
    client.cluster['allow_modules_upload'] = False  # the other run's restore

    def send(value):
        if not client.cluster['allow_modules_upload']:
            raise REFUSED
        return value
    assert uploads.write(send, 'x') == 'x'
    assert client.calls == ['get_cluster', 'set_allow_modules_upload', 'set_allow_modules_upload']
    # recorded as enabled by this task, so the run restores it at its end
    assert uploads.result() == dict(allow_modules_upload_changed=True, allow_modules_upload_before=False)


@pytest.mark.parametrize('cluster, expected', [
    ({'allow_modules_upload': True}, True),
    ({'allow_modules_upload': False}, False),
    ({}, None),
    (None, None),
    ({'allow_modules_upload': 'false'}, None),
    ({'allow_modules_upload': 0}, None),
])
def test_upload_setting(cluster, expected):
    assert upload_setting(cluster) is expected


# setting, allowed, check_mode -> result, calls
@pytest.mark.parametrize('setting, allowed, check_mode, result, calls', [
    (False, True, False, dict(previous=False, allowed=True, supported=True, changed=True),
     ['get_cluster', 'set_allow_modules_upload']),
    (True, False, False, dict(previous=True, allowed=False, supported=True, changed=True),
     ['get_cluster', 'set_allow_modules_upload']),
    (False, True, True, dict(previous=False, allowed=True, supported=True, changed=True), ['get_cluster']),
    (True, True, False, dict(previous=True, allowed=True, supported=True, changed=False), ['get_cluster']),
    (False, False, False, dict(previous=False, allowed=False, supported=True, changed=False), ['get_cluster']),
    (None, True, False, dict(previous=None, allowed=None, supported=False, changed=False), ['get_cluster']),
    (None, False, False, dict(previous=None, allowed=None, supported=False, changed=False), ['get_cluster']),
    (None, False, True, dict(previous=None, allowed=None, supported=False, changed=False), ['get_cluster']),
])
def test_apply_setting(setting, allowed, check_mode, result, calls):
    client = Cluster(setting)
    assert apply_setting(client, allowed, check_mode) == result
    assert client.calls == calls
    assert client.cluster.get('allow_modules_upload') is (allowed if 'set_allow_modules_upload' in calls else setting)


def test_apply_setting_fails_when_the_cluster_keeps_the_old_value():
    client = Cluster(False)
    client.set_allow_modules_upload = lambda value: {'allow_modules_upload': False}
    with pytest.raises(RedisEnterpriseError) as caught:
        apply_setting(client, True)
    assert 'still reports allow_modules_upload: false' in caught.value.msg
    assert caught.value.extra == dict(previous=False, allowed=False, supported=True)


# GET /v1/cluster -> module_upload_max_size_mb as read
@pytest.mark.parametrize('cluster, limit', [({'module_upload_max_size_mb': 40}, 40), ({}, None), (None, None),
                                            ({'module_upload_max_size_mb': 0}, None), ({'module_upload_max_size_mb': '40'}, None),
                                            ({'module_upload_max_size_mb': True}, None), ({'module_upload_max_size_mb': 2.5}, 2.5)])
def test_upload_limit_mb(cluster, limit):
    assert upload_limit_mb(cluster) == limit


# package size, limit -> the warning (or None) and the refusal hint (or None) name the setting and a value that fits
@pytest.mark.parametrize('size, limit, needed', [(45 * MIB, 40, 45), (40 * MIB + 1, 40, 41), (40 * MIB, 40, None),
                                                 (10, None, None), (None, 40, None)])
def test_size_warning_and_refusal_hint(size, limit, needed):
    warning = size_warning('package hello', size, limit, 'cluster c1')
    hint = refusal_hint(size, limit)
    if needed is None:
        assert warning is None and hint is None
    else:
        advice = 'PUT /v1/cluster {"module_upload_max_size_mb": %d}' % needed
        assert warning.startswith('package hello is %.1f MB, larger than module_upload_max_size_mb (40 MB) of cluster c1'
                                  % (size / float(MIB)))
        assert advice in warning and advice in hint and 'module_upload_max_size_mb is 40 MB' in hint


def test_gate_reads_the_limit_with_the_setting():
    client = Cluster(True)
    client.cluster['module_upload_max_size_mb'] = 40
    uploads = gate(client)
    assert uploads.limit_mb is None
    uploads.check()
    assert uploads.limit_mb == 40 and client.calls == ['get_cluster']
