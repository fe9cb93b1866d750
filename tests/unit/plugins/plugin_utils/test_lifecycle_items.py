# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module_lifecycle_artifacts and the role's settings, checked (plugin_utils._lifecycle.items), as tables of cases."""

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle import items
from tests.unit.plugins.plugin_utils.lifecycle_cases import inspect


@pytest.mark.parametrize('given, state, present, absent, problem', [
    ([], 'present', [], [], None),
    ([{'src': 'hello-1.0.0.zip'}], 'present', ['hello/10000'], [], None),
    ([{'src': 'hello-1.0.0.zip'}], 'absent', [], ['hello/10000'], None),
    ([{'src': 'hello-1.0.0.zip', 'state': 'absent'}], 'present', [], ['hello/10000'], None),
    # the bug of issue 7: "10000.0" is the float spelling of 10000, as the modules read it
    ([{'module_name': 'hello', 'version': '10000.0', 'state': 'absent'}], 'present', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': 10000, 'state': 'absent'}], 'present', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': 10000.0}], 'absent', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': '1.2.3'}], 'absent', [], ['hello/10203'], None),
    ([{'module_name': 'hello', 'semantic_version': '2.0.0'}], 'absent', [], ['hello/20000'], None),
    ([{'module_name': 'hello', 'version': '1.0.0'}, {'module_name': 'hello', 'version': 10000}], 'absent', [], ['hello/10000'], None),
    ([{'module_name': 'hello', 'version': 'one'}], 'absent', [], [], 'hello needs version'),
    ([{'module_name': 'hello'}], 'absent', [], [], 'got None'),
    ([{'module_name': 'hello', 'version': True}], 'absent', [], [], 'needs version'),
    ([{'module_name': 'hello', 'version': '1.200.0'}], 'absent', [], [], 'needs version'),
    ([{'module_name': 'hello', 'version': 10000}], 'present', [], [], 'can only be state: absent'),
    # the modules' module-name rule
    ([{'module_name': '../hello', 'version': 10000}], 'absent', [], [], 'contains a path separator'),
    ([{'module_name': 'hel lo', 'version': 10000}], 'absent', [], [], 'contains whitespace'),
    ([{'src': 'hello-1.0.0.zip', 'module_name': 'hello'}], 'present', [], [], 'not both'),
    ([{'state': 'absent'}], 'present', [], [], 'needs src (a package on the controller), url + checksum'),
    ([{'src': 'missing.zip'}], 'present', [], [], 'missing.zip: no such file'),
    ([{'src': 'hello-1.0.0.zip'}, {'src': 'copy-of-1.0.0.zip'}], 'present', ['hello/10000'], [], 'is given twice'),
    ([{'src': 'hello-1.0.0.zip'}, {'src': 'hello-1.0.0.zip'}], 'present', ['hello/10000'], [], None),
    ([{'src': 'hello-1.0.0.zip'}, {'module_name': 'hello', 'version': 10000, 'state': 'absent'}], 'present',
     ['hello/10000'], ['hello/10000'], 'both as present and as absent'),
])
def test_plan_items(given, state, present, absent, problem):
    got_present, got_absent, problems = items.plan_items(given, state, inspect)
    assert [e['key'] for e in got_present] == present
    assert [e['key'] for e in got_absent] == absent
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems


def test_plan_items_names_the_item():
    problems = items.plan_items([{'src': 'hello-1.0.0.zip'}, {'module_name': 'x', 'version': 'bad'}], 'absent', inspect)[2]
    assert problems[0].startswith('module_lifecycle_artifacts[1]: x needs version')


def test_entries_carry_labels_and_semantic_versions():
    present, absent, dummy = items.plan_items([{'src': 'hello-2.0.0.zip'},
                                               {'module_name': 'hello', 'version': '1.0.0', 'state': 'absent'},
                                               {'module_name': 'other', 'version': 5, 'state': 'absent'}], 'present', inspect)
    assert present[0]['label'] == 'hello 2.0.0 (20000)' and present[0]['src'] == '/p/hello-2.0.0.zip'
    assert present[0]['operating_systems'] == ['rhel9']
    assert [a['label'] for a in absent] == ['hello 1.0.0 (10000)', 'other ? (5)']


@pytest.mark.parametrize('value, mode, problems', [
    (True, 'true', 0), (False, 'false', 0), ('temporary', 'temporary', 0), ('TEMPORARY', 'temporary', 0),
    ('yes', 'true', 0), ('off', 'false', 0), ('sometimes', None, 1), (2, None, 1),
])
def test_uploads_mode_and_settings(value, mode, problems):
    assert items.uploads_mode(value) == mode
    assert len(items.setting_problems(value)) == problems


def fake_fetch(item, where):
    """What the read pass's fetch gives: the cached copy's path and the url as shown, or ValueError."""
    if item['url'].endswith('/bad'):
        raise ValueError('%s: checksum mismatch for %s' % (where, item['url']))
    return item['url'].rpartition('/')[2], item['url']


URL_ITEM = {'url': 'https://repo/hello-1.0.0.zip', 'checksum': 'sha256:' + 'a' * 64}


@pytest.mark.parametrize('given, present, absent, problem', [
    ([URL_ITEM], ['hello/10000'], [], None),
    ([dict(URL_ITEM, state='absent')], [], ['hello/10000'], None),
    # the same package by url and by path: one entry
    ([URL_ITEM, {'src': 'hello-1.0.0.zip'}], ['hello/10000'], [], None),
    ([dict(URL_ITEM, src='hello-1.0.0.zip')], [], [], 'give either src (a file on the controller) or url'),
    ([dict(URL_ITEM, module_name='hello')], [], [], 'give either url or module_name + version'),
    ([{'src': 'hello-1.0.0.zip', 'checksum': 'sha256:' + 'a' * 64}], [], [], 'checksum only apply with url'),
    ([{'url': 'https://repo/bad'}], [], [], 'module_lifecycle_artifacts[0]: checksum mismatch for https://repo/bad'),
    ([{'url': 'https://repo/missing.zip'}], [], [], 'https://repo/missing.zip (downloaded to missing.zip): no such file'),
    ([URL_ITEM, {'url': 'https://repo/copy-of-1.0.0.zip'}], ['hello/10000'], [],
     'given twice, by https://repo/hello-1.0.0.zip and https://repo/copy-of-1.0.0.zip'),
])
def test_items_with_url_are_fetched_then_read_as_packages(given, present, absent, problem):
    got_present, got_absent, problems = items.plan_items(given, 'present', inspect, fake_fetch)
    assert [e['key'] for e in got_present] == present
    assert [e['key'] for e in got_absent] == absent
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems


def test_a_downloaded_entry_names_its_url_and_uses_the_copy():
    present = items.plan_items([URL_ITEM], 'present', inspect, fake_fetch)[0]
    assert present[0]['origin'] == 'https://repo/hello-1.0.0.zip' and present[0]['src'] == '/p/hello-1.0.0.zip'
