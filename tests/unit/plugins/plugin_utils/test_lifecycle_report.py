# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The summary and the drift report (plugin_utils._lifecycle.report), as tables of cases."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import removal, report
from tests.unit.plugins.plugin_utils.lifecycle_cases import V1, art, cluster_read, in_play, nodes, obj, outside, prune_setup, reads


@pytest.mark.parametrize('prune_wanted, upgrades, line', [
    (True, [], '  prune skipped: node 3 (c), not in this run (or batch) lacks hello 2.0.0 (20000)'),
    (False, [dict(uid=1, name='orders')], '  database upgrades skipped: node 3 (c), not in this run (or batch) lacks hello 2.0.0 (20000)'),
    (True, [dict(uid=1, name='orders')],
     '  database upgrades and prune skipped: node 3 (c), not in this run (or batch) lacks hello 2.0.0 (20000)'),
])
def test_summary_says_what_an_incomplete_cluster_skipped(prune_wanted, upgrades, line):
    run = prune_setup(whole=False)
    run['clusters'][0]['upgrades'] = upgrades
    result = cluster_read(nodes_listed=[in_play(1, 'a'), in_play(2, 'b'), outside(3, 'c', [V1])])
    result['item']['prune'] = prune_wanted
    run = removal.record_cluster_nodes(run, [result])
    assert line in report.summary(run)
    assert bool(removal.prune_skipped(run)) is prune_wanted


@pytest.mark.parametrize('modules, artifacts, errors, in_sync, line', [
    ([obj('hello', 10000, '1.0.0')], {'a': [art('hello', 10000)], 'b': [art('hello', 10000)]}, {}, True, 'cluster c1: in sync'),
    ([obj('hello', 10000, '1.0.0')], {'a': [art('hello', 10000)]}, {}, False,
     'DRIFT module object hello 1.0.0 (10000) has no artifact on b'),
    ([], {'a': [art('hello', 10000)]}, {}, False, 'DRIFT artifact hello/10000 on a has no module object'),
    ([], {}, {'b': 'cannot connect'}, False, 'UNREADABLE b: cannot connect'),
    ([], {}, {'c1': 'HTTP 401'}, False, 'cannot read the module objects: HTTP 401'),
])
def test_drift(modules, artifacts, errors, in_sync, line):
    status = report.drift(nodes('c1:a,b'), *reads(modules, artifacts, errors))
    assert status[0]['in_sync'] is in_sync
    assert any(line in text for text in report.drift_lines(status)), report.drift_lines(status)
