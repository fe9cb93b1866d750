# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RedisEnterpriseError: message format, hints, result keys, the fail path."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _errors
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module, hint_for


def test_message_format_full():
    exc = RedisEnterpriseError('Module upload is disabled', method='post', path='/v2/modules/user-defined', status=403,
                               error_code='modules_upload_disabled', description='Module upload is disabled',
                               hint='Set allow_uploads: true.')
    assert str(exc) == ('POST /v2/modules/user-defined: HTTP 403 modules_upload_disabled: '
                        'Module upload is disabled. Set allow_uploads: true.')
    assert exc.msg == str(exc)
    assert exc.method == 'POST'
    assert repr(exc) == 'RedisEnterpriseError(%r)' % str(exc)


@pytest.mark.parametrize('kwargs, expected', [
    (dict(msg='boom'), 'boom'),
    (dict(msg='boom', hint='Do this.'), 'boom. Do this.'),
    (dict(msg='boom.', hint='Do this.'), 'boom. Do this.'),
    (dict(msg='x', method='GET', path='/v1/nodes'), 'GET /v1/nodes: x'),
    (dict(msg='x', method='GET', path='/v1/nodes', status=500), 'GET /v1/nodes: HTTP 500: x'),
    (dict(msg=None, description='from server', status=404), 'HTTP 404: from server'),
])
def test_message_parts(kwargs, expected):
    msg = kwargs.pop('msg')
    assert str(RedisEnterpriseError(msg, **kwargs)) == expected


def test_to_result_keys():
    exc = RedisEnterpriseError('m', method='DELETE', path='/v2/modules/user-defined/abc', status=406,
                               error_code='module_in_use', description='d', hint='h')
    result = exc.to_result()
    assert set(result) == {'msg', 'method', 'path', 'status', 'error_code', 'description', 'hint'}
    assert result['status'] == 406 and result['error_code'] == 'module_in_use'
    exc.details = {'databases': [1]}
    assert exc.to_result()['details'] == {'databases': [1]}


class _FakeModule:
    def __init__(self):
        self.failed = None

    def fail_json(self, **kwargs):
        self.failed = kwargs


def test_fail_module_merges_extra():
    module = _FakeModule()
    fail_module(module, RedisEnterpriseError('m', status=406, error_code='module_in_use'), databases=['db1'])
    assert module.failed['error_code'] == 'module_in_use'
    assert module.failed['databases'] == ['db1']
    assert module.failed['msg'] == 'HTTP 406 module_in_use: m'


def test_fail_module_other_exception():
    module = _FakeModule()
    fail_module(module, ValueError('bad value'))
    assert module.failed == {'msg': 'bad value'}


@pytest.mark.parametrize('method, path, status, code, has_json, needle', [
    ('GET', '/v1/modules', 401, None, True, 'REDIS_ENTERPRISE_PASSWORD'),
    ('GET', '/v1/modules', 403, None, True, 'view_cluster_modules'),
    ('GET', '/v2/local/modules/user-defined/artifacts', 403, None, True, 'view_cluster_modules'),
    ('POST', '/v2/modules/user-defined', 403, None, True, 'manage_cluster_modules'),
    ('DELETE', '/v2/local/modules/user-defined/artifacts/hello/10000', 403, None, True, 'manage_cluster_modules'),
    ('PUT', '/v1/cluster', 403, None, True, 'update_cluster'),
    ('POST', '/v2/modules/user-defined', 403, 'modules_upload_disabled', True, 'allow_uploads: true'),
    ('POST', '/v2/local/modules/user-defined/artifacts', 403, 'modules_upload_disabled', True, 'module_lifecycle_allow_uploads'),
    ('DELETE', '/v2/modules/user-defined/abc', 406, 'module_in_use', True, 'Databases still use this module'),
    ('GET', '/v1/nodes', 503, None, True, 'not (yet) a member'),
    ('GET', '/v2/local/modules/user-defined/artifacts', 404, None, False, '8.0.2'),
])
def test_hints(method, path, status, code, has_json, needle):
    assert needle in hint_for(method, path, status, code, has_json_body=has_json)


def test_no_hint_for_plain_404_with_json():
    assert hint_for('DELETE', '/v2/modules/user-defined/abc', 404, 'module_delete_failed', has_json_body=True) is None


def test_403_admin_hint_names_admin_role():
    assert 'admin role' in hint_for('POST', '/v2/modules/user-defined', 403)


def test_permission_unknown_path():
    assert _errors.permission_for('GET', '/v1/users') is None


def test_failure_reports_msg_and_extra_only():
    exc = _errors.failure('module hello differs', differences=['display_name'], error_code='x')
    assert isinstance(exc, RedisEnterpriseError)
    assert str(exc) == 'module hello differs'
    assert exc.to_result() == {'msg': 'module hello differs', 'differences': ['display_name'], 'error_code': 'x'}


def test_fail_module_keeps_the_failures_own_extra():
    module = _FakeModule()
    fail_module(module, _errors.failure('m', node={'uid': 1}), node={}, allow_modules_upload_changed=False)
    assert module.failed == {'msg': 'm', 'node': {'uid': 1}, 'allow_modules_upload_changed': False}


@pytest.mark.parametrize('reason, strict', [
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: CA cert does not include key usage extension (_ssl.c:1029)', True),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Path length given without key usage keyCertSign (_ssl.c:1029)', True),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Basic Constraints of CA cert not marked critical (_ssl.c:1029)', True),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Missing Authority Key Identifier (_ssl.c:1029)', True),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)', False),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain', False),
    (None, False),
])
def test_tls_hint_names_strict_verification(reason, strict):
    assert _errors.tls_hint(reason) == (_errors.HINT_TLS_STRICT if strict else _errors.HINT_TLS)
