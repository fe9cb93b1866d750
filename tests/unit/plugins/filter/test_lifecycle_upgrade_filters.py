# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle filters' database-upgrade steps hand the role's arguments to plugin_utils._lifecycle."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redisops.custom_modules.plugins.filter.lifecycle_record import lifecycle_record
from ansible_collections.redisops.custom_modules.plugins.filter.lifecycle_todo import lifecycle_todo
from tests.unit.plugins.plugin_utils.test_lifecycle_upgrades import planned_two_clusters


def test_rounds_todo_record_and_waiting_through_the_filters():
    run = planned_two_clusters()
    assert lifecycle_todo(run, 'upgrade_rounds') == [0, 1]
    todo = lifecycle_todo(run, 'upgrades', host='a', index=1)
    assert [t['name'] for t in todo] == ['billing']
    assert todo[0]['node_urls'] == ['https://a:9443', 'https://b:9443']
    assert lifecycle_todo(run, 'upgrades_waiting') == []
    # a node of c1 outside the batch lacks 2.0.0: c1 waits (named), c2 goes on
    waiting = planned_two_clusters({'c1': [('z', ['hello/10000'])]})
    assert lifecycle_todo(waiting, 'upgrade_rounds') == [0]
    assert [line.split(':')[0] for line in lifecycle_todo(waiting, 'upgrades_waiting')] == ['cluster c1']
    registered = [{'results': [dict(item=item, changed=True, upgrades=item['upgrades']) for item in todo]}, {'skipped': True}]
    after = lifecycle_record(run, 'upgrades', registered, hosts=['a', 'b'])
    assert after['changes']['c1'][-1] == u'db billing: hello 1.0.0 \u2192 2.0.0'
    with pytest.raises(AnsibleFilterError, match='hosts must give the host of each result'):
        lifecycle_record(run, 'upgrades', registered, hosts=['a'])
    with pytest.raises(AnsibleFilterError, match='upgrades_waiting'):
        lifecycle_todo(run, 'nonsense')
