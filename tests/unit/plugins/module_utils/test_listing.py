# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one version coercion, and the module_name/version filter over API lists."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _listing
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version


@pytest.mark.parametrize('value, expected', [
    (10000, 10000), (10000.0, 10000), ('10000', 10000), (' 10000.0 ', 10000),
    (10000.5, 10000), (True, None), ('1.0.0', None), (None, None), ([1], None),
])
def test_coerce_version(value, expected):
    assert coerce_version(value) == expected


def test_coerce_version_default():
    assert coerce_version('abc', 'abc') == 'abc' and coerce_version('7', 'x') == 7


def test_select_and_order():
    entries = [dict(module_name='b', version=1), 'junk', dict(module_name='a', version='20000.0'),
               dict(module_name='a', version=10000)]
    assert _listing.select(entries, 'a', 20000) == [dict(module_name='a', version='20000.0')]
    assert sorted(_listing.select(entries), key=_listing.sort_key) == [
        dict(module_name='a', version=10000), dict(module_name='a', version='20000.0'), dict(module_name='b', version=1)]


@pytest.mark.parametrize('name, version, key', [
    ('hello', 10000, 'hello/10000'),
    ('hello', '10000', 'hello/10000'),
    ('hello', 10000.0, 'hello/10000'),
    ('re-json', 20807, 're-json/20807'),
    ('odd', 'v1', 'odd/v1'),  # not a version: kept as written, never equal to a numeric one
])
def test_module_version_key_round_trip(name, version, key):
    ident = _listing.ModuleVersion.of(name, version)
    assert ident.key == key == str(ident) == _listing.key_of(name, version)
    assert _listing.ModuleVersion.parse(key) == ident
    assert (ident.name, ident.version) == (name, coerce_version(version, version))


def test_module_version_parse_takes_the_last_slash():
    assert _listing.ModuleVersion.parse('a/b/30000') == ('a/b', 30000)
    assert _listing.ModuleVersion.parse('noversion') == ('', 'noversion')
