# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redis-version fit: a package's compatible_redis_version / min_redis_version against the cluster's database versions."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _redis_version as rv

# What an 8.2 cluster offers in the emulator (and what real 8.x nodes list, in their format).
OFFERED = [(7, 2), (7, 4), (8, 0), (8, 2)]


@pytest.mark.parametrize('value, expected', [
    ('7.4', (7, 4)), ('7.4.2', (7, 4)), ('8.0-big', (8, 0)), ('7', (7, 0)), (' 8.2 ', (8, 2)), ('v8.2', (8, 2)),
    ('6.0.7', (6, 0)), ('', None), ('  ', None), ('latest', None), ('8.x', None), (8.2, None), (None, None), ([8, 2], None),
])
def test_parse(value, expected):
    assert rv.parse(value) == expected


@pytest.mark.parametrize('metadata, db, expected', [
    # compatible_redis_version must equal the database's major.minor
    ({'compatible_redis_version': '8.2', 'min_redis_version': '7.0'}, (8, 2), True),
    ({'compatible_redis_version': '8.2', 'min_redis_version': '7.0'}, (8, 0), False),
    ({'compatible_redis_version': '8.2', 'min_redis_version': '8.2'}, (7, 2), False),
    ({'compatible_redis_version': '7.4'}, (7, 4), True),
    ({'compatible_redis_version': '7.4.2'}, (7, 4), True),
    # without it, only min_redis_version's major must match (empty counts as absent, as in real module objects)
    ({'compatible_redis_version': '', 'min_redis_version': '7.1'}, (7, 2), True),
    ({'compatible_redis_version': '', 'min_redis_version': '7.1'}, (7, 4), True),
    ({'compatible_redis_version': None, 'min_redis_version': '7.1'}, (8, 0), False),
    ({'min_redis_version': '8.0'}, (8, 2), True),
    ({'min_redis_version': '6.0.7'}, (7, 2), False),
    # nothing to judge by
    ({}, (8, 2), None),
    ({'compatible_redis_version': '', 'min_redis_version': ''}, (8, 2), None),
    ({'compatible_redis_version': 'soon'}, (8, 2), None),
    ({'min_redis_version': 7.0}, (7, 2), None),
])
def test_fits(metadata, db, expected):
    assert rv.fits(metadata, db) is expected


def test_cluster_versions_reads_both_formats_and_skips_memcached():
    nodes = [
        {'supported_database_versions': [
            {'db_type': 'redis', 'major': True, 'redis_version': '7.4', 'version': '7.4.2'},
            {'db_type': 'memcached', 'version': '1.4.17'},
            {'db_type': 'redis', 'version': '8.0.0'},
            {'db_type': 'redis', 'version': 'garbage'},
            'junk',
        ]},
        {'supported_database_versions': [{'db_type': 'redis', 'version': '7.4'}, {'version': '8.2'}]},
        {'uid': 3},
        'junk',
    ]
    assert rv.cluster_versions(nodes) == [(7, 4), (8, 0), (8, 2)]
    assert rv.cluster_versions(nodes[0]) == [(7, 4), (8, 0)]
    assert rv.cluster_versions([]) == [] and rv.cluster_versions(None) == []
    assert rv.reports_versions(nodes) is True and rv.reports_versions([{'uid': 1}]) is False


@pytest.mark.parametrize('metadata, status, versions, text', [
    ({'compatible_redis_version': '8.2', 'min_redis_version': '7.0'}, 'fits', [(8, 2)], None),
    ({'compatible_redis_version': '7.4', 'min_redis_version': '4.0'}, 'fits', [(7, 4)], None),   # ramp pack's defaults
    ({'min_redis_version': '7.0'}, 'fits', [(7, 2), (7, 4)], None),
    ({'compatible_redis_version': '6.2', 'min_redis_version': '6.0'}, 'none', [],
     'compatible_redis_version "6.2", min_redis_version "6.0") fits none of the Redis database versions c1 offers (7.2, 7.4, 8.0, 8.2)'),
    ({'compatible_redis_version': '8.4'}, 'none', [], 'upgrade the cluster to a Redis Enterprise release that offers Redis 8.4'),
    ({'compatible_redis_version': '', 'min_redis_version': '6.0'}, 'none', [], 'set compatible_redis_version to the exact version'),
    ({'compatible_redis_version': 'eight'}, 'unreadable', [], 'compatible_redis_version "eight", which is not a Redis version'),
    ({'compatible_redis_version': 8.2}, 'unreadable', [], 'compatible_redis_version 8.2, which is not a string: write it as a string such as "8.2"'),
    ({'min_redis_version': 7}, 'unreadable', [], 'min_redis_version 7, which is not a string'),
    ({'min_redis_version': ''}, 'no_fields', [], 'names neither compatible_redis_version nor min_redis_version'),
])
def test_check_package(metadata, status, versions, text):
    fit = rv.check_package(metadata, OFFERED, what='hello 1.0.0', where='c1')
    assert fit.status == status and fit.versions == versions
    message = fit.problem if status in ('none', 'unreadable') else fit.warning
    if status == 'fits':
        assert fit.problem is None and fit.warning is None
    else:
        assert text in message and message.startswith('hello 1.0.0' if status != 'unknown' else 'c1')
        assert (fit.problem is None) == (status in ('no_fields', 'unknown'))


def test_check_package_none_says_what_to_do():
    fit = rv.check_package({'compatible_redis_version': '6.2'}, OFFERED, what='hello 1.0.0', where='c1')
    assert 'build and package the module for one of 7.2, 7.4, 8.0, 8.2' in fit.problem
    assert 'Redis 6.2 is older than every version the cluster offers' in fit.problem and 'upgrade' not in fit.problem
    fit = rv.check_package({'compatible_redis_version': '7.6'}, OFFERED)
    assert fit.problem.endswith('(set compatible_redis_version to it)')
    fit = rv.check_package({'min_redis_version': '9.0'}, OFFERED)
    assert 'Redis 7.x or 8.x' in fit.problem and 'major version of min_redis_version' in fit.problem


def test_check_package_without_cluster_versions_warns():
    fit = rv.check_package({'compatible_redis_version': '8.2'}, [], what='hello', where='the cluster at https://x:9443')
    assert fit.status == 'unknown' and fit.problem is None
    assert 'does not list the Redis versions' in fit.warning and 'compatible_redis_version "8.2"' in fit.warning
