# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade decision: which version each module of a database would go to, or why it cannot."""

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
