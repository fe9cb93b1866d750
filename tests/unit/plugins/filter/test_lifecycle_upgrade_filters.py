# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle filters' database-upgrade steps hand the role's arguments to plugin_utils._lifecycle."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.filter.lifecycle_record import lifecycle_record
from ansible_collections.redisops.custom_modules.plugins.filter.lifecycle_todo import lifecycle_todo
from tests.unit.plugins.plugin_utils.test_lifecycle_upgrade import planned_two_clusters


def play(run):
    return dict((host, run) for host in run['nodes']), list(run['nodes'])


def test_rounds_todo_record_and_waiting_through_the_filters():
    run = planned_two_clusters()
    runs, hosts = play(run)
    assert lifecycle_todo(run, 'upgrade_rounds', play_runs=runs, play_hosts=hosts) == [0, 1]
    todo = lifecycle_todo(run, 'upgrades', host='a', index=1, play_runs=runs, play_hosts=hosts)
    assert [t['name'] for t in todo] == ['billing']
    # a host of the play not run yet (a later batch): nothing now, and the clusters are named
    assert lifecycle_todo(run, 'upgrade_rounds', play_runs=runs, play_hosts=hosts + ['z']) == []
    assert len(lifecycle_todo(run, 'upgrades_waiting', play_runs=runs, play_hosts=hosts + ['z'])) == 2
    registered = [{'results': [dict(item=item, changed=True, upgrades=item['upgrades']) for item in todo]}, {'skipped': True}]
    after = lifecycle_record(run, 'upgrades', registered, hosts=['a', 'b'])
    assert after['changes']['c1'][-1] == u'db billing: hello 1.0.0 \u2192 2.0.0'
    with pytest.raises(AnsibleFilterError, match='hosts must give the host of each result'):
        lifecycle_record(run, 'upgrades', registered, hosts=['a'])
    with pytest.raises(AnsibleFilterError, match='upgrades_waiting'):
        lifecycle_todo(run, 'nonsense')
