# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade decision: which version each module of a database would go to, or why it cannot."""

import json
import os

import pytest

from ansible_collections.redisops.custom_modules.plugins.module_utils import _bdb_upgrade as up


def mod(name, version, compatible="8.2", minimum="8.0", bundled=False):
    semver = "%d.%d.%d" % (version // 10000, version % 10000 // 100, version % 100)
    return {"uid": "%s-%d" % (name, version), "module_name": name, "version": version, "semantic_version": semver,
            "compatible_redis_version": compatible, "min_redis_version": minimum, "is_bundled": bundled}


def bdb(*uses, **kw):
    entries = [{"module_id": "%s-%d" % (n, v), "module_name": n,
                "semantic_version": "%d.%d.%d" % (v // 10000, v % 10000 // 100, v % 100)} for n, v in uses]
    out = {"uid": 1, "name": "db1", "redis_version": kw.get("redis_version", "8.2"), "version": "8.2.1", "module_list": entries}
    if kw.get("redis_version") is None and "redis_version" in kw:
        out.pop("redis_version")
        out["version"] = kw.get("version")
    return out


EVERYWHERE = {"n1": {("hello", 10000), ("hello", 20000), ("hello", 30000)},
              "n2": {("hello", 10000), ("hello", 20000), ("hello", 30000)}}
ONLY_V1_ON_N2 = {"n1": {("hello", 10000), ("hello", 20000)}, "n2": {("hello", 10000)}}


# database's modules, cluster's modules, artifacts per node -> upgrades (name, from, to), after, problem text (or None)
@pytest.mark.parametrize("uses, modules, artifacts, upgrades, after, problem", [
    # the newest fitting version wins
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000)], None,
     [("hello", "1.0.0", "2.0.0")], [("hello", "2.0.0")], None),
    # already there: nothing to do
    ([("hello", 20000)], [mod("hello", 10000), mod("hello", 20000)], None, [], [("hello", "2.0.0")], None),
    # a newer version that does not fit the database's Redis version is not used
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000, compatible="8.0")], None, [], [("hello", "1.0.0")], None),
    # min_redis_version decides without compatible_redis_version: major must match
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000, compatible="", minimum="8.0")], None,
     [("hello", "1.0.0", "2.0.0")], [("hello", "2.0.0")], None),
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000, compatible="", minimum="7.0")], None,
     [], [("hello", "1.0.0")], None),
    # naming no Redis version: fits (the server has nothing to refuse it by)
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000, compatible="", minimum="")], None,
     [("hello", "1.0.0", "2.0.0")], [("hello", "2.0.0")], None),
    # the artifact of the newest is not on every node: the next one down is taken
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000), mod("hello", 30000)],
     {"n1": {("hello", 10000), ("hello", 20000), ("hello", 30000)}, "n2": {("hello", 10000), ("hello", 20000)}},
     [("hello", "1.0.0", "2.0.0")], [("hello", "2.0.0")], None),
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000), mod("hello", 30000)], EVERYWHERE,
     [("hello", "1.0.0", "3.0.0")], [("hello", "3.0.0")], None),
    # bundled modules are on every node without an artifact
    ([("bf", 80200)], [mod("bf", 80200, bundled=True), mod("bf", 80201, bundled=True)], {"n1": set()},
     [("bf", "8.2.0", "8.2.1")], [("bf", "8.2.1")], None),
    # two modules: one moves, one stays
    ([("hello", 10000), ("bf", 80200)], [mod("hello", 10000), mod("hello", 20000), mod("bf", 80200, bundled=True)], EVERYWHERE,
     [("hello", "1.0.0", "2.0.0")], [("hello", "2.0.0"), ("bf", "8.2.0")], None),
    # nothing allowed: the version in use lost its artifact on n2, and the new one is not there either
    ([("hello", 10000)], [mod("hello", 10000), mod("hello", 20000)], {"n1": {("hello", 10000), ("hello", 20000)}, "n2": set()},
     [], [("hello", "1.0.0")], "no version of hello can be used for it: 1.0.0 (artifact missing on n2), 2.0.0 (artifact missing on n2)"),
    # nothing fits the database's Redis version at all
    ([("hello", 10000)], [mod("hello", 10000, compatible="8.0")], None,
     [], [("hello", "1.0.0")], 'compatible_redis_version "8.0", min_redis_version "8.0": does not fit Redis 8.2'),
    # downgrade: 2.0.0 in use lost its artifact on n2, only 1.0.0 is everywhere
    ([("hello", 20000)], [mod("hello", 10000), mod("hello", 20000)], ONLY_V1_ON_N2,
     [], [("hello", "2.0.0")], "the newest version an upgrade could use is 1.0.0, which would be a downgrade"),
    # a database without modules: nothing to do
    ([], [mod("hello", 10000)], None, [], [], None),
])
def test_plan(uses, modules, artifacts, upgrades, after, problem):
    result = up.plan(bdb(*uses), modules, artifacts)
    assert [(u["module_name"], u["from"], u["to"]) for u in result.upgrades] == upgrades
    assert [(e["module_name"], e["semantic_version"]) for e in result.after] == after
    assert result.changed is bool(upgrades)
    assert result.before == [{"module_name": n, "semantic_version": "%d.%d.%d" % (v // 10000, v % 10000 // 100, v % 100)}
                             for n, v in uses]
    if problem is None:
        assert result.problems == []
    else:
        assert len(result.problems) == 1 and problem in result.problems[0], result.problems
        # every refusal names the database and says what to do
        assert "database 'db1'" in result.problems[0] and "then run again" in result.problems[0]


def test_upgrade_records_numeric_versions():
    result = up.plan(bdb(("hello", 10000)), [mod("hello", 10000), mod("hello", 20000)])
    assert result.upgrades == [{"module_name": "hello", "from": "1.0.0", "to": "2.0.0", "from_version": 10000,
                                "to_version": 20000}]
    assert result.redis_version == "8.2" and result.database == "db1"


@pytest.mark.parametrize("fields, expected", [
    ({"redis_version": "7.4", "version": "7.4.2"}, (7, 4)),
    ({"version": "8.0.0"}, (8, 0)),
    ({"redis_version": "", "version": "8.2.1"}, (8, 2)),
    ({}, None),
])
def test_db_redis_version(fields, expected):
    assert up.db_redis_version(fields) == expected


def test_unreadable_redis_version_is_a_problem():
    result = up.plan({"uid": 4, "name": "odd", "version": "latest", "module_list": []}, [])
    assert result.problems and "database 'odd' reports no readable Redis version" in result.problems[0]
    assert not result.changed


def test_entry_found_by_name_and_semantic_version_without_module_id():
    db = {"uid": 1, "name": "db1", "redis_version": "8.2", "module_list": [{"module_name": "hello", "semantic_version": "2.0.0"}]}
    result = up.plan(db, [mod("hello", 10000), mod("hello", 20000)], ONLY_V1_ON_N2)
    assert "downgrade" in result.problems[0]


def db(uid, name, *uses):
    out = bdb(*uses)
    out.update(uid=uid, name=name)
    return out


CLUSTER_MODULES = [mod("hello", 10000), mod("hello", 20000), mod("other", 10000), mod("other", 20000),
                   mod("bf", 80200, bundled=True), mod("bf", 80201, bundled=True)]
ALL_ON = {"n1": {("hello", 10000), ("hello", 20000), ("other", 10000), ("other", 20000)}}
DBS = [db(3, "c", ("other", 10000)), db(1, "a", ("hello", 10000), ("bf", 80200)), db(2, "b", ("hello", 20000)),
       db(4, "d", ("bf", 80200))]


# wanted, module_names -> databases to upgrade (in order), unchanged, problem text (or None)
@pytest.mark.parametrize("wanted, module_names, upgrade, unchanged, problem", [
    (False, ["hello"], [], [], None),
    # every database that uses an older version of a present module (hello), one at a time by uid
    (True, ["hello"], ["a"], ["b"], None),
    (True, ["hello", "other"], ["a", "c"], ["b"], None),
    # no module names: every user-defined module counts; d (bundled only) is never picked
    (True, None, ["a", "c"], ["b"], None),
    # a list: exactly those, in the given order; one already there is unchanged
    (["c", "b", "d"], ["hello"], ["c", "d"], ["b"], None),
    (["a", "zz"], ["hello"], ["a"], [], "no database named 'zz' on the cluster (its databases: a, b, c, d)"),
])
def test_select_databases(wanted, module_names, upgrade, unchanged, problem):
    out = up.select_databases(DBS, CLUSTER_MODULES, ALL_ON, wanted, module_names)
    assert [d["name"] for d in out["upgrades"]] == upgrade
    assert sorted(out["unchanged"]) == sorted(unchanged)
    if problem is None:
        assert out["problems"] == []
    else:
        assert any(problem in p for p in out["problems"]), out["problems"]


def test_select_databases_reports_from_to_for_every_module_that_moves():
    out = up.select_databases(DBS, CLUSTER_MODULES, ALL_ON, ["a"], ["hello"])
    assert out["upgrades"] == [{"uid": 1, "name": "a", "redis_version": "8.2", "upgrades": [
        {"module_name": "hello", "from": "1.0.0", "to": "2.0.0", "from_version": 10000, "to_version": 20000},
        {"module_name": "bf", "from": "8.2.0", "to": "8.2.1", "from_version": 80200, "to_version": 80201}]}]


def test_select_databases_keeps_a_database_with_a_problem_out():
    # hello 2.0.0 in use lost its artifact on n2: b cannot be upgraded (would be a downgrade); a still can
    artifacts = {"n1": {("hello", 10000), ("hello", 20000)}, "n2": {("hello", 10000)}}
    out = up.select_databases(DBS, CLUSTER_MODULES, artifacts, ["b", "a"], ["hello"])
    assert len(out["problems"]) == 1 and "database 'b'" in out["problems"][0] and "downgrade" in out["problems"][0]
    # a, named in the list, still moves what it can: hello stays at 1.0.0 (2.0.0 is not on n2), bf moves
    assert [(d["name"], [u["module_name"] for u in d["upgrades"]]) for d in out["upgrades"]] == [("a", ["bf"])]
    # with true, a is not picked: none of the listed modules (hello) would move
    out = up.select_databases(DBS, CLUSTER_MODULES, artifacts, True, ["hello"])
    assert out["upgrades"] == [] and "a" in out["unchanged"]


# --- answers as a real 8.0 server gives them (tests/fixtures/rs-8.0) -----------------------------------------------
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "rs-8.0")


def captured(name):
    with open(os.path.join(FIXTURES, name + ".json")) as handle:
        return json.load(handle)


def strip(bdb_obj, keep):
    out = dict(bdb_obj)
    out["module_list"] = [dict((k, v) for k, v in e.items() if k in keep) for e in bdb_obj["module_list"]]
    return out


@pytest.mark.parametrize("keep", [("module_args", "module_id", "module_name", "semantic_version"),
                                  ("module_args", "module_id", "module_name"),
                                  ("module_args", "module_name")])
def test_captured_database_with_bundled_modules_needs_no_upgrade(keep):
    """The captured Redis 8.0 database uses the four bundled modules at the versions made for 8.0; whatever deprecated
    fields the server leaves out, the version in use is told (one version per Redis version) and nothing is sent."""
    modules = captured("modules_list")
    decided = up.plan(strip(captured("bdb_single"), keep), modules, {"node1": set()})
    assert decided.problems == [] and decided.undetermined == [] and decided.upgrades == [] and not decided.changed
    assert sorted((e["module_name"], e["semantic_version"]) for e in decided.before) == [
        ("ReJSON", "7.99.3"), ("bf", "8.0.1"), ("search", "7.99.91"), ("timeseries", "8.0.2")]
    assert decided.after == decided.before


HELLO_1, HELLO_2 = mod("hello", 10000), mod("hello", 20000)


# module_list entry, the cluster's versions of hello -> the module object told (its version), or None
@pytest.mark.parametrize("entry, modules, told", [
    ({"module_name": "hello", "module_id": "hello-10000", "semantic_version": "1.0.0"}, [HELLO_1, HELLO_2], 10000),
    ({"module_name": "hello", "module_id": "hello-20000"}, [HELLO_1, HELLO_2], 20000),                 # by uid
    ({"module_name": "hello", "semantic_version": "1.0.0"}, [HELLO_1, HELLO_2], 10000),                # by semver
    ({"module_name": "hello"}, [HELLO_1], 10000),                                                       # one version
    ({"module_name": "hello"}, [HELLO_1, HELLO_2], None),                                               # cannot tell
    ({"module_name": "hello"}, [HELLO_1, mod("hello", 20000, compatible="8.0")], 10000),               # one fits 8.2
    ({"module_name": "hello", "semantic_version": "9.0.0"}, [HELLO_1, HELLO_2], None),                 # not there
])
def test_current_module(entry, modules, told):
    found = up.current_module(entry, modules, (8, 2))
    assert (found or {}).get("version") == told


def test_undetermined_version_sends_nothing_and_says_so():
    db = {"uid": 4, "name": "orders", "redis_version": "8.2", "module_list": [{"module_name": "hello", "module_args": ""}]}
    decided = up.plan(db, [HELLO_1, HELLO_2], EVERYWHERE)
    assert not decided.changed and decided.problems == [] and decided.upgrades == []
    assert len(decided.undetermined) == 1
    text = decided.undetermined[0]
    assert "'orders'" in text and "neither module_id nor semantic_version" in text and "1.0.0, 2.0.0" in text
    assert "rladmin" in text
    out = up.select_databases([db], [HELLO_1, HELLO_2], EVERYWHERE, True, ["hello"])
    assert out["upgrades"] == [] and out["unchanged"] == ["orders"] and out["warnings"] == decided.undetermined
    # a database that still reports module_id is upgraded as before
    with_id = dict(db, module_list=[{"module_name": "hello", "module_id": "hello-10000"}])
    decided = up.plan(with_id, [HELLO_1, HELLO_2], EVERYWHERE)
    assert decided.changed and (decided.upgrades[0]["from"], decided.upgrades[0]["from_version"]) == ("1.0.0", 10000)
    assert decided.before == [{"module_name": "hello", "semantic_version": "1.0.0"}]


# database's module_list entry, the module object asked about -> does the database use it?
@pytest.mark.parametrize("entry, obj, expected", [
    ({"module_name": "hello", "module_id": "hello-10000"}, HELLO_1, True),
    ({"module_name": "hello", "module_id": "hello-20000"}, HELLO_1, False),
    ({"module_name": "renamed", "module_id": "hello-10000"}, HELLO_1, True),
    ({"module_name": "hello", "semantic_version": "2.0.0"}, HELLO_1, False),
    ({"module_name": "hello"}, HELLO_1, True),      # cannot be told: counts as in use, for every version
    ({"module_name": "hello"}, HELLO_2, True),
    ({"module_name": "other"}, HELLO_1, False),
])
def test_uses(entry, obj, expected):
    assert up.uses({"redis_version": "8.2"}, entry, obj, [HELLO_1, HELLO_2]) is expected


# action object -> (status, numeric progress), the reason given
@pytest.mark.parametrize("action, step, reason", [
    (captured("actions_list")["actions"][0], ("completed", 100.0), "the server gave no reason"),
    ({"status": "active", "progress": "42.5"}, ("active", 42.5), "the server gave no reason"),
    ({"status": "failed", "progress": "30", "error_code": "shard_restart_failed", "error_message": "Shard 1 did not restart"},
     ("failed", 30.0), "Shard 1 did not restart (shard_restart_failed)"),
    ({"status": "failed", "error_code": "upgrade_failed"}, ("failed", None), "upgrade_failed"),
    ({"status": "failed", "additional_info": {"error": "v2 reason"}}, ("failed", None), "v2 reason"),
    ({"status": "failed", "error": "older reason", "progress": 12.0}, ("failed", 12.0), "older reason"),
    ({"status": "aborted", "progress": "12"}, ("aborted", 12.0), "the action was aborted"),
    ({"status": "cancelled", "progress": ""}, ("cancelled", None), "the action was cancelled"),
    ({"status": "failed", "state": "shard_restart"}, ("failed", None), "it stopped in state shard_restart"),
    (None, (None, None), "the server gave no reason"),
])
def test_action_step_and_reason(action, step, reason):
    got = up.action_step(action)
    assert (got["status"], got["progress"]) == step
    assert up.action_reason(action) == reason


def test_final_statuses():
    assert set(up.FINAL_ACTION_STATUSES) == {"completed", "failed", "aborted", "cancelled"}
    assert "active" not in up.FINAL_ACTION_STATUSES and "pending" not in up.FINAL_ACTION_STATUSES
