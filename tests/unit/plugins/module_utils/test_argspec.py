# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options: environment fallbacks, merging, client_from_module failures."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _client

ENV = ('REDIS_ENTERPRISE_URL', 'REDIS_ENTERPRISE_USERNAME', 'REDIS_ENTERPRISE_PASSWORD',
       'REDIS_ENTERPRISE_VALIDATE_CERTS', 'REDIS_ENTERPRISE_CA_PATH', 'REDIS_ENTERPRISE_TIMEOUT',
       'REDIS_ENTERPRISE_ALLOW_HTTP')


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def make_module(args, module_args=None):
    with patch_module_args(args):
        return _argspec.create_module(module_args)


def failure(capsys, args, **kwargs):
    """Run client_from_module and return the JSON the module printed when it failed."""
    # fail_json must run while the module arguments (and their JSON profile) are patched in
    with patch_module_args(args):
        module = _argspec.create_module()
        with pytest.raises(SystemExit):
            _argspec.client_from_module(module, **kwargs)
    return json.loads(capsys.readouterr().out)


def test_defaults_without_env():
    params = make_module({}).params
    assert params['url'] == 'https://localhost:9443'
    assert params['validate_certs'] is True
    assert params['timeout'] == 30
    assert params['allow_http'] is False
    assert params['username'] is None and params['password'] is None and params['ca_path'] is None


def test_env_wins_over_default(monkeypatch, tmp_path):
    monkeypatch.setenv('REDIS_ENTERPRISE_URL', 'https://10.0.0.1:9443')
    monkeypatch.setenv('REDIS_ENTERPRISE_USERNAME', 'admin@example.com')
    monkeypatch.setenv('REDIS_ENTERPRISE_PASSWORD', 'env-secret')
    monkeypatch.setenv('REDIS_ENTERPRISE_VALIDATE_CERTS', 'false')
    monkeypatch.setenv('REDIS_ENTERPRISE_CA_PATH', str(tmp_path / 'ca.pem'))
    monkeypatch.setenv('REDIS_ENTERPRISE_TIMEOUT', '7')
    monkeypatch.setenv('REDIS_ENTERPRISE_ALLOW_HTTP', 'true')
    params = make_module({}).params
    assert params == dict(url='https://10.0.0.1:9443', username='admin@example.com', password='env-secret',
                          validate_certs=False, ca_path=str(tmp_path / 'ca.pem'), timeout=7, allow_http=True)


def test_args_win_over_env(monkeypatch):
    monkeypatch.setenv('REDIS_ENTERPRISE_URL', 'https://10.0.0.1:9443')
    monkeypatch.setenv('REDIS_ENTERPRISE_TIMEOUT', '7')
    params = make_module({'url': 'https://10.0.0.2:9443', 'timeout': 9}).params
    assert params['url'] == 'https://10.0.0.2:9443'
    assert params['timeout'] == 9


def test_password_from_env_is_no_log(monkeypatch):
    monkeypatch.setenv('REDIS_ENTERPRISE_PASSWORD', 'env-secret-value')
    module = make_module({})
    assert 'env-secret-value' in module.no_log_values


def test_merge_argument_spec():
    spec = _argspec.merge_argument_spec({'state': dict(type='str', default='present')})
    assert set(spec) == set(_argspec.CONNECTION_OPTIONS) | {'state'}
    assert spec['password']['no_log'] is True
    with pytest.raises(ValueError):
        _argspec.merge_argument_spec({'url': dict(type='str')})
    # the shared spec is not modified by callers
    spec['url']['default'] = 'x'
    assert _argspec.CONNECTION_ARGUMENT_SPEC['url']['default'] == 'https://localhost:9443'


def test_module_args_merged():
    module = make_module({'state': 'absent'}, {'state': dict(type='str', choices=['present', 'absent'])})
    assert module.params['state'] == 'absent'
    assert module.check_mode is False


def test_client_from_module_args(tmp_path):
    ca = tmp_path / 'ca.pem'
    client = _argspec.client_from_module(make_module(
        {'url': 'https://127.0.0.11:9443/', 'username': 'u', 'password': 'secret-pw', 'ca_path': str(ca), 'timeout': 5}))
    assert client.base_url == 'https://127.0.0.11:9443'
    assert client.verify == str(ca)
    assert client.timeout == 5


def test_client_from_module_env(monkeypatch):
    monkeypatch.setenv('REDIS_ENTERPRISE_USERNAME', 'envuser')
    monkeypatch.setenv('REDIS_ENTERPRISE_PASSWORD', 'envpass')
    client = _argspec.client_from_module(make_module({'validate_certs': False}))
    assert client.username == 'envuser'
    assert client.session.auth == ('envuser', 'envpass')
    assert client.verify is False


def test_missing_requests(capsys, monkeypatch):
    monkeypatch.setattr(_client, 'HAS_REQUESTS', False)
    monkeypatch.setattr(_client, 'REQUESTS_IMPORT_ERROR', 'Traceback: No module named requests')
    result = failure(capsys, {'username': 'u', 'password': 'secret-pw'})
    assert result['failed'] is True
    assert 'Failed to import the required Python library (requests)' in result['msg']


@pytest.mark.parametrize('args, needle', [
    ({}, 'missing username and password: set the options username and password or the environment variables '
         'REDIS_ENTERPRISE_USERNAME and REDIS_ENTERPRISE_PASSWORD'),
    ({'username': 'u'}, 'missing password: set the option password or the environment variable REDIS_ENTERPRISE_PASSWORD'),
    ({'password': 'secret-pw'}, 'missing username: set the option username or the environment variable REDIS_ENTERPRISE_USERNAME'),
])
def test_missing_credentials(capsys, args, needle):
    result = failure(capsys, args)
    assert result['msg'] == needle
