# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which URLs the client accepts, what it says about the others, and the warnings it hands to the module.

The password is sent with every request (basic authentication), so a URL that would expose it or
that makes no sense is refused before any session exists.
"""

import json

import pytest
from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.common import warnings as _warnings
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _client
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._connection import refused_url

URL_SECRET = 'Url-Secr3t'
PASSWORD = 'Opt10n-Secr3t'
ENV = ('REDIS_ENTERPRISE_URL', 'REDIS_ENTERPRISE_USERNAME', 'REDIS_ENTERPRISE_PASSWORD',
       'REDIS_ENTERPRISE_VALIDATE_CERTS', 'REDIS_ENTERPRISE_CA_PATH', 'REDIS_ENTERPRISE_TIMEOUT',
       'REDIS_ENTERPRISE_ALLOW_HTTP')


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def no_leftover_warnings(monkeypatch):
    """ansible-core keeps module warnings in a process-wide registry (and sends them to the controller's
    display once controller code was imported in this process): start each test empty, as a module."""
    monkeypatch.setattr(_warnings, "_global_warnings", {})
    monkeypatch.setattr(_module_utils_internal, "is_controller", False)


def warning_texts(result):
    # ansible-core 2.19 returns each warning as a structured summary, older releases as text
    return [w['event']['msg'] if isinstance(w, dict) else w for w in result.get('warnings', [])]


@pytest.fixture
def no_session(monkeypatch):
    """Any attempt to build a requests session (the first step towards a connection) fails the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError('a session was created for a URL that must be refused')
    monkeypatch.setattr(_client.requests, 'Session', forbidden)


# url, allow_http, expected base URL
ACCEPTED = [
    ('https://node1:9443', False, 'https://node1:9443'),
    ('https://node1:9443/', False, 'https://node1:9443'),
    ('HTTPS://node1:9443', False, 'https://node1:9443'),
    ('https://node1', False, 'https://node1'),
    ('https://[::1]:9443', False, 'https://[::1]:9443'),
    ('https://proxy.example.com/redis-api', False, 'https://proxy.example.com/redis-api'),
    ('https://admin:%s@node1:9443' % URL_SECRET, False, 'https://node1:9443'),
    ('https://node1:9443', True, 'https://node1:9443'),
    ('http://node1:8080', True, 'http://node1:8080'),
    ('http://admin:%s@node1:8080/' % URL_SECRET, True, 'http://node1:8080'),
]


@pytest.mark.parametrize('url, allow_http, base_url', ACCEPTED)
def test_accepted(url, allow_http, base_url):
    assert _client.check_url(url, allow_http) == base_url


# url, allow_http, words the message must contain
REFUSED = [
    ('http://node1:9443', False, ['plain HTTP', 'clear text', 'https://node1:9443', 'allow_http: true',
                                  'REDIS_ENTERPRISE_ALLOW_HTTP']),
    ('HTTP://node1:8080', False, ['plain HTTP', 'https://node1:9443']),
    ('http://admin:%s@node1:9443' % URL_SECRET, False, ['plain HTTP', 'http://node1:9443', 'https://node1:9443']),
    ('ftp://node1:9443', False, ['scheme ftp', 'https://node1:9443']),
    ('ftp://node1:9443', True, ['scheme ftp', 'https://node1:9443']),
    ('ws://node1:9443', True, ['scheme ws']),
    ('file:///etc/passwd', False, ['scheme file', 'https://<node address>:9443']),
    ('node1:9443', False, ['no scheme', 'https://node1:9443']),
    ('node1.example.com', False, ['no scheme', 'https://node1.example.com:9443']),
    ('//node1:9443', False, ['no scheme', 'https://node1:9443']),
    ('https://node1:9443?verify=0', False, ['a query', 'https://node1:9443']),
    ('https://node1:9443/?', False, ['a query']),
    ('http://node1:8080?x=1', True, ['a query']),
    ('https://node1:9443#top', False, ['a fragment', 'https://node1:9443']),
    ('https://node1:9443/#', False, ['a fragment']),
    ('https://:9443', False, ['names no host', 'https://<node address>:9443']),
    ('https://', False, ['names no host']),
    ('https:///v1', False, ['names no host']),
    ('http://', True, ['names no host']),
    ('https://admin:%s@:9443' % URL_SECRET, False, ['names no host']),
    ('https://node1:94x3', False, ['invalid port', 'https://node1:9443']),
    ('https://node1:99999', False, ['invalid port']),
    ('', False, ['url is empty']),
    ('   ', False, ['url is empty']),
]


@pytest.mark.parametrize('url, allow_http, words', REFUSED)
def test_refused_before_any_session(url, allow_http, words, no_session):
    with pytest.raises(RedisEnterpriseError) as info:
        _client.Client(url, 'admin@example.com', PASSWORD, allow_http=allow_http)
    msg = info.value.msg
    for word in words:
        assert word in msg
    assert 'Nothing was sent' in msg
    assert URL_SECRET not in msg and PASSWORD not in msg


@pytest.mark.parametrize('url', [
    # a password with characters urlsplit takes for the start of the path, query or fragment
    'https://admin:Pa#%s@node1:9443' % URL_SECRET,
    'https://admin:Pa?%s@node1:9443' % URL_SECRET,
    'http://admin:Pa/%s@node1:9443' % URL_SECRET,
])
def test_a_malformed_userinfo_password_is_never_shown(url):
    with pytest.raises(RedisEnterpriseError) as info:
        _client.check_url(url)
    assert URL_SECRET not in info.value.msg
    assert 'Nothing was sent' in info.value.msg


# base URL, validate_certs, expected warnings (words of each)
WARNINGS = [
    ('https://node1:9443', True, []),
    ('https://node1:9443', False, [['validate_certs is false', 'not authenticated', 'https://node1:9443',
                                    'receives the password', 'ca_path']]),
    ('http://node1:8080', True, [['plain HTTP', 'clear text', 'https://node1:9443']]),
    # over plain HTTP nothing is verified anyway: one warning says it all
    ('http://node1:8080', False, [['plain HTTP', 'clear text']]),
]


@pytest.mark.parametrize('base_url, validate_certs, expected', WARNINGS)
def test_connection_warnings(base_url, validate_certs, expected):
    warnings = _client.connection_warnings(base_url, validate_certs)
    assert len(warnings) == len(expected)
    for warning, words in zip(warnings, expected):
        for word in words:
            assert word in warning


def test_without_opt_in_the_session_has_no_http_transport():
    assert 'http://' not in _client.Client('https://node1:9443', 'u', PASSWORD).session.adapters
    assert 'http://' in _client.Client('http://node1:8080', 'u', PASSWORD, allow_http=True).session.adapters


# ------------------------------------------------------------------ through the module's options

def module_result(capsys, args, exit_after_client=True):
    """Build the module and its client with ``args``; return the JSON result it printed (failed or not)."""
    with patch_module_args(args):
        module = _argspec.create_module()
        with pytest.raises(SystemExit):
            _argspec.client_from_module(module)
            module.exit_json(changed=False)
    return json.loads(capsys.readouterr().out)


CONN = dict(username='admin@example.com', password=PASSWORD)


# args (over CONN), env, failed, words of the message or of each warning
MODULE_CASES = [
    (dict(url='https://node1:9443'), {}, False, []),
    (dict(url='http://node1:9443'), {}, True, ['plain HTTP', 'https://node1:9443']),
    (dict(url='http://node1:8080', allow_http=True), {}, False, [['plain HTTP', 'clear text']]),
    (dict(url='http://node1:8080'), {'REDIS_ENTERPRISE_ALLOW_HTTP': 'true'}, False, [['plain HTTP', 'clear text']]),
    (dict(url='http://node1:8080', allow_http=False), {'REDIS_ENTERPRISE_ALLOW_HTTP': 'true'}, True, ['plain HTTP']),
    (dict(), {'REDIS_ENTERPRISE_URL': 'http://node1:8080'}, True, ['plain HTTP']),
    (dict(url='ftp://node1:9443', allow_http=True), {}, True, ['scheme ftp']),
    (dict(url='https://node1:9443?a=b'), {}, True, ['a query']),
    (dict(url='https://node1:9443#x'), {}, True, ['a fragment']),
    (dict(url='https://:9443'), {}, True, ['names no host']),
    (dict(url='https://node1:9443', validate_certs=False), {}, False, [['validate_certs is false', 'not authenticated']]),
    (dict(url='https://node1:9443'), {'REDIS_ENTERPRISE_VALIDATE_CERTS': 'no'}, False, [['validate_certs is false']]),
]


@pytest.mark.parametrize('args, env, failed, words', MODULE_CASES)
def test_client_from_module(capsys, monkeypatch, args, env, failed, words):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    merged = dict(CONN)
    merged.update(args)
    result = module_result(capsys, merged)
    assert bool(result.get('failed')) is failed
    if failed:
        for word in words:
            assert word in result['msg']
        assert 'Nothing was sent' in result['msg']
        assert 'Traceback' not in json.dumps(result)
    else:
        warnings = warning_texts(result)
        assert len(warnings) == len(words)
        for warning, expected in zip(warnings, words):
            for word in expected:
                assert word in warning
    assert PASSWORD not in json.dumps(result)


@pytest.mark.parametrize('url', [
    'https://admin:%s@node1:9443' % URL_SECRET,  # accepted, the userinfo ignored
    'http://admin:%s@node1:9443' % URL_SECRET,  # refused
])
def test_a_password_in_the_url_is_masked_in_the_result(capsys, url):
    args = dict(CONN, url=url, _ansible_verbosity=4)
    if 'inject_invocation' in PASS_VARS:
        # ansible-core 2.21+ echoes module_args back only when asked (INJECT_INVOCATION); earlier versions always do
        args['_ansible_inject_invocation'] = True
    result = module_result(capsys, args)
    text = json.dumps(result)
    assert 'invocation' in result  # the case this is about: module_args are echoed back
    assert URL_SECRET not in text
    assert PASSWORD not in text


# ------------------------------------------------------------------ the action plugins' early check

@pytest.mark.parametrize('args, refused', [
    (dict(url='https://node1:9443'), None),
    (dict(), None),  # the url comes from the environment where the module runs
    (dict(url=['not', 'a', 'string']), None),  # the module reports the type
    (dict(url='http://node1:8080'), None),  # REDIS_ENTERPRISE_ALLOW_HTTP may be set where the module runs
    (dict(url='http://node1:8080', allow_http='yes'), None),
    (dict(url='http://node1:8080', allow_http='maybe'), None),  # the module reports the type
    (dict(url='http://node1:8080', allow_http=False), 'plain HTTP'),
    (dict(url='http://node1:8080', allow_http='false'), 'plain HTTP'),
    (dict(url='ftp://node1:9443'), 'scheme ftp'),
    (dict(url='https://node1:9443?x'), 'a query'),
    (dict(url='https://node1:9443#x'), 'a fragment'),
    (dict(url='https://:9443'), 'names no host'),
])
def test_refused_url_for_action_plugins(args, refused):
    msg = refused_url(args)
    if refused is None:
        assert msg is None
    else:
        assert refused in msg and 'Nothing was sent' in msg
