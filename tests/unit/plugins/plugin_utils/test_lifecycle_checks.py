# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks before any write: each node against its packages, the gate, the upload limit (plugin_utils._lifecycle.checks), as tables of cases."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import Package
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import checks, items, plan
from tests.unit.plugins.plugin_utils.lifecycle_cases import PKG1, PKG2, art, entry, nodes, reads, redis


def test_compatibility_and_gate_problems():
    run = plan.plan([entry(PKG2)], [], nodes('c1:a,b'), *reads([], {'b': [art('hello', 20000)]}), prune=False)
    arm = dict(uid=1, addr='10.0.0.1', architecture='aarch64', os_family='rhel', os_semantic_version='9.3')
    ubuntu = dict(uid=1, addr='10.0.0.1', architecture='x86_64', os_family='ubuntu', os_semantic_version='22.04')
    rhel = dict(uid=1, addr='10.0.0.1', architecture='x86_64', os_family='rhel', os_semantic_version='9.3')
    problems = checks.compatibility_problems(run, 'a', arm)
    assert len(problems) == 1 and problems[0].startswith('a (hello 2.0.0 (20000)): ') and 'aarch64' in problems[0]
    assert 'rhel9' in ' '.join(checks.compatibility_problems(run, 'a', ubuntu))
    assert checks.compatibility_problems(run, 'a', rhel) == []
    assert checks.compatibility_problems(run, 'b', arm) == []  # b needs nothing
    assert checks.compatibility_problems(run, 'a', None) == []  # the node cannot be told: the module warns
    run['clusters'][0]['allow_modules_upload'] = False
    assert 'module_lifecycle_allow_uploads' in checks.gate_problems(run, False)[0]
    assert checks.gate_problems(run, 'temporary') == [] and checks.gate_problems(run, True) == []
    run['clusters'][0]['allow_modules_upload'] = True
    assert checks.gate_problems(run, False) == []


@pytest.mark.parametrize('fields, node_versions, all_versions, how, problem', [
    ({'compatible_redis_version': '7.4'}, ['7.4', '8.2'], None, 'address', None),
    ({'compatible_redis_version': '8.4'}, ['7.4', '8.2'], None, 'address', 'fits none of the Redis database versions'),
    ({'min_redis_version': '7.0'}, ['7.2'], None, 'address', None),
    ({'min_redis_version': '6.0'}, ['7.2', '8.2'], None, 'address', 'fits none'),
    ({}, ['7.2'], None, 'address', None),              # neither field: cannot be judged, not refused
    ({'compatible_redis_version': '8.2'}, [], None, 'address', None),  # versions not listed: not refused
    # an unidentified node: any node's versions count
    ({'compatible_redis_version': '8.2'}, ['7.4'], ['7.4', '8.2'], 'uniform', None),
    ({'compatible_redis_version': '8.4'}, ['7.4'], ['7.4', '8.2'], 'uniform', 'the cluster of a'),
])
def test_redis_version_check(fields, node_versions, all_versions, how, problem):
    pkg = dict(PKG1, metadata=fields)
    run = plan.plan([items.package_entry(Package(**pkg), 'present')], [], nodes('c1:a,b'), *reads(), prune=False)
    node = dict(uid=1, addr='10.0.0.1', architecture='x86_64', supported_database_versions=redis(*node_versions))
    others = [node, dict(node, uid=2, supported_database_versions=redis(*(all_versions or [])))]
    problems = checks.compatibility_problems(run, 'a', node, others, how)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0] and problems[0].startswith('a (hello 1.0.0 (10000)): ')


def test_upload_limit_warnings_name_each_package_this_run_uploads_to_the_cluster():
    big = dict(PKG2, size=45 * 1048576)
    small = dict(PKG1, size=1048576)
    reads = dict((n['host'], {'artifacts': [art('hello', 10000)] if n['host'] == 'h3' else [], 'url': n['url']})
                 for n in nodes('c1:h1,h2', 'c2:h3'))
    run = plan.plan([entry(big), entry(small)], [], nodes('c1:h1,h2', 'c2:h3'), {'c1': {'modules': []}, 'c2': {'modules': []}},
                    reads, False)
    c1, c2 = run['clusters']
    warned = checks.upload_limit_warnings(run, c1, 40)
    assert len(warned) == 1 and warned[0].startswith('package hello 2.0.0 (20000) (hello-2.0.0.zip) is 45.0 MB')
    assert 'of cluster c1' in warned[0]
    assert checks.upload_limit_warnings(run, c1, None) == [] and checks.upload_limit_warnings(run, c1, 50) == []
    # c2's node has 1.0.0 already: only 2.0.0 is uploaded there, so even a limit both exceed warns of 2.0.0 alone
    assert len(checks.upload_limit_warnings(run, c1, 0.5)) == 2
    c2_warned = checks.upload_limit_warnings(run, c2, 0.5)
    assert len(c2_warned) == 1 and '2.0.0' in c2_warned[0]
