# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One version rule and one key rule: the role's planning reads every version spelling as the modules do.

The role's absent items go through items.absent_entry (parse_version); the modules read versions
with coerce_version (module.json through redis_user_module.metadata_version, API listings through
_listing.version_of and the client). Issue 7's bug: {module_name: hello, version: "10000.0"} was
100000000 in the role's Jinja while the modules said 10000.
"""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _listing
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import (
    coerce_version,
    inspect_package,
    parse_version,
    semantic_to_version,
)
from ansible_collections.redisops.custom_modules.plugins.modules import redis_user_module
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items

# RAMP's unpacker reads int(float(version)): so do the modules (coerce_version), and so does the role.
NUMERIC_SPELLINGS = [10000, 10000.0, '10000', '10000.0', ' 10000 ', ' 10000.0 ', '1e4', 10000.5, '10000.5', 1, '1.0',
                     20000, '20000.00']


@pytest.mark.parametrize('spelling', NUMERIC_SPELLINGS)
def test_role_and_modules_read_numeric_spellings_alike(spelling):
    role = items.absent_entry('hello', spelling)[0]['version']
    assert role == coerce_version(spelling)
    assert role == redis_user_module.metadata_version(spelling)
    assert role == _listing.version_of({'version': spelling})
    assert items.absent_entry('hello', spelling)[0]['key'] == _listing.key_of('hello', spelling)


def test_the_issue_7_item_means_10000():
    entry, problem = items.absent_entry('hello', '10000.0')
    assert problem is None and entry['version'] == 10000 and entry['key'] == 'hello/10000'


@pytest.mark.parametrize('spelling, expected', [
    ('1.0.0', 10000), ('1.2.3', 10203), (' 2.0.0 ', 20000), ('0.0.1', 1), ('10.99.99', 109999),
    ('1.100.0', None), ('1.0.0.0', None), ('v1.0.0', None), ('1.0.x', None), ('', None), (None, None),
])
def test_semantic_spelling(spelling, expected):
    assert semantic_to_version(spelling) == expected
    assert parse_version(spelling) == expected
    # the modules' numeric rule never claims a semantic spelling
    assert coerce_version(spelling) is None


@pytest.mark.parametrize('spelling', [True, False, 'abc', '', 0, None, [10000], {}])
def test_no_reading_of_what_is_not_a_version(spelling):
    assert parse_version(spelling) is None and coerce_version(spelling) is None
    assert items.absent_entry('hello', spelling)[0] is None


@pytest.mark.parametrize('key', ['hello-1.0.0', 'hello-2.0.0'])
def test_semantic_rule_matches_the_packages(testmodules, key):
    """RAMP's packer writes version = major*10000 + minor*100 + patch: the role's semantic reading agrees."""
    package = inspect_package(testmodules[key]['path'])
    assert parse_version(package.semantic_version) == package.version
    assert items.package_entry(package, 'present')['key'] \
        == items.absent_entry(package.module_name, package.semantic_version)[0]['key'] \
        == _listing.key_of(package.module_name, package.version)
