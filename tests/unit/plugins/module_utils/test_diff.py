# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before/after helpers."""

from ansible_collections.redisops.custom_modules.plugins.module_utils._diff import changed_fields, make_diff, pick


def test_changed_fields_all_keys():
    assert changed_fields({'a': 1, 'b': 2}, {'a': 1, 'b': 3, 'c': 4}) == ['b', 'c']


def test_changed_fields_selected_keys_and_none():
    assert changed_fields(None, {'a': 1}, ['a', 'b']) == ['a']
    assert changed_fields({'a': None}, {}, ['a']) == ['a']
    assert changed_fields({'a': 1, 'x': 1}, {'a': 1, 'x': 2}, ['a']) == []
    assert changed_fields(None, None) == []


def test_make_diff():
    assert make_diff(None, {'v': 1}) == {'before': {}, 'after': {'v': 1}}
    diff = make_diff({'v': 1, 'junk': 0}, {'v': 2}, keys=['v'], before_header='hello 1', after_header='hello 2')
    assert diff == {'before': {'v': 1}, 'after': {'v': 2}, 'before_header': 'hello 1', 'after_header': 'hello 2'}


def test_pick():
    assert pick({'a': 1, 'b': 2}, ['a', 'z']) == {'a': 1}
    assert pick(None, ['a']) == {}
