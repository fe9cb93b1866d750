# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_lifecycle_upgrade_databases through ansible-playbook (the deploy playbook) against the emulator.

Two clusters of two nodes, hello 1.0.0 in use by databases on both; deploying hello 2.0.0 with
upgrade_databases and prune takes every cluster to 2.0.0 with 1.0.0 gone, in one run. Every assertion
reads the clusters through the REST API and the emulator's request log.
"""

import os
import re

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
ARROW = u"\u2192"

pytestmark = pytest.mark.slow


def api(emu, method, path, node, **kwargs):
    conn = emu.conn(node=node)
    return requests.request(method, conn["url"] + path, auth=(conn["username"], conn["password"]),
                            verify=conn["ca_path"], timeout=30, **kwargs)


def create_db(emu, node, name):
    resp = api(emu, "POST", "/v1/bdbs", node, json={
        "name": name, "memory_size": 1 << 20, "redis_version": "8.2",
        "module_list": [{"module_name": "hello", "semantic_version": "1.0.0"}]})
    assert resp.status_code == 200, resp.text
    return resp.json()["uid"]


def hello_of(emu, node):
    """{database name: [hello's semantic versions]} of the cluster of ``node``."""
    return dict((b["name"], [e["semantic_version"] for e in b["module_list"] if e["module_name"] == "hello"])
                for b in api(emu, "GET", "/v1/bdbs", node).json())


def versions_of(emu, node):
    """(module object versions of the cluster, {node: artifact versions}) for the cluster of ``node``."""
    cluster = [c for c in emu.clusters if node in [n["name"] for n in c["nodes"]]][0]
    objects = sorted(m["version"] for m in api(emu, "GET", "/v1/modules", node).json() if m["module_name"] == "hello")
    artifacts = dict((n["name"], sorted(a["version"] for a in api(emu, "GET", "/v2/local/modules/user-defined/artifacts",
                                                                  n["name"]).json()))
                     for n in cluster["nodes"])
    return objects, artifacts


@pytest.fixture
def two_clusters(emulator_factory):
    return emulator_factory(clusters={"c1": 2, "c2": 2})


@pytest.fixture
def deploy(ansible_run, two_clusters, testmodules):
    emu = two_clusters
    admin = emu.admin

    def run(package, check=False, diff=False, **extra):
        extra_vars = {"module_lifecycle_artifacts": [{"src": package}], "module_lifecycle_allow_uploads": "temporary",
                      "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
                      "module_lifecycle_ca_path": emu.ca_file}
        extra_vars.update(extra)
        mark = emu.mark()
        result = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra_vars, check=check, diff=diff)
        assert "Traceback" not in result.output and admin["password"] not in result.output, result
        result.requests = emu.requests(mark)
        result.writes = [(e["method"], e["path"], e["node"]) for e in result.requests if e["method"] != "GET"]
        return result
    return run


@pytest.fixture
def in_use(deploy, two_clusters, testmodules):
    """hello 1.0.0 on both clusters, used by orders and billing on c1 and by ledger on c2."""
    assert deploy(testmodules.v1["path"]).rc == 0
    return dict(orders=create_db(two_clusters, "c1-node1", "orders"), billing=create_db(two_clusters, "c1-node1", "billing"),
                ledger=create_db(two_clusters, "c2-node1", "ledger"))


def upgrade_posts(writes):
    return [(path, node) for method, path, node in writes if path.endswith("/upgrade")]


def test_deploy_upgrade_and_prune_in_one_run_then_nothing(deploy, two_clusters, testmodules, in_use):
    emu = two_clusters
    # check mode: predicts every database's upgrade, writes nothing
    run = deploy(testmodules.v2["path"], check=True, module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert run.rc == 0, run
    assert run.writes == [], run.writes
    assert "(check mode, would be) db orders: hello 1.0.0 %s 2.0.0" % ARROW in run.output, run
    assert "(check mode, would be) db ledger: hello 1.0.0 %s 2.0.0" % ARROW in run.output, run
    assert hello_of(emu, "c1-node1") == {"orders": ["1.0.0"], "billing": ["1.0.0"]}

    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert run.rc == 0, run
    # one database at a time per cluster, in uid order, through each cluster's first node
    assert [p for p in upgrade_posts(run.writes) if p[1].startswith("c1")] == [
        ("/v1/bdbs/%d/upgrade" % in_use["orders"], "c1-node1"), ("/v1/bdbs/%d/upgrade" % in_use["billing"], "c1-node1")]
    assert [p for p in upgrade_posts(run.writes) if p[1].startswith("c2")] == [
        ("/v1/bdbs/%d/upgrade" % in_use["ledger"], "c2-node1")]
    # each upgrade after the cluster's uploads, each prune deletion after the cluster's last upgrade
    for cluster in ("c1", "c2"):
        mine = [w for w in run.writes if w[2].startswith(cluster)]
        last_upload = max(i for i, w in enumerate(mine) if w[0] == "POST" and w[1] == "/v2/local/modules/user-defined/artifacts")
        first_upgrade = min(i for i, w in enumerate(mine) if w[1].endswith("/upgrade"))
        last_upgrade = max(i for i, w in enumerate(mine) if w[1].endswith("/upgrade"))
        first_delete = min(i for i, w in enumerate(mine) if w[0] == "DELETE")
        assert last_upload < first_upgrade <= last_upgrade < first_delete, mine
    for line in ("db orders: hello 1.0.0 %s 2.0.0", "db billing: hello 1.0.0 %s 2.0.0", "db ledger: hello 1.0.0 %s 2.0.0"):
        assert line % ARROW in run.output, run
    assert hello_of(emu, "c1-node1") == {"orders": ["2.0.0"], "billing": ["2.0.0"]}
    assert hello_of(emu, "c2-node1") == {"ledger": ["2.0.0"]}
    for node in ("c1-node1", "c2-node1"):
        objects, artifacts = versions_of(emu, node)
        assert objects == [20000] and set(map(tuple, artifacts.values())) == {(20000,)}, (objects, artifacts)

    # idempotent: no write, and no database read (one version per cluster: no database can use an older one)
    again = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert again.rc == 0 and again.writes == [], again
    assert not [e for e in again.requests if e["path"] == "/v1/bdbs"], again.requests
    assert "no change" in again.output


def test_without_the_option_the_reads_are_those_of_before(deploy, testmodules, in_use):
    run = deploy(testmodules.v2["path"])
    assert run.rc == 0, run
    again = deploy(testmodules.v2["path"])
    assert again.rc == 0 and again.writes == [], again
    # one module listing per cluster, one artifact listing per node, nothing else
    assert sorted((e["method"], e["path"]) for e in again.requests) == sorted(
        [("GET", "/v1/modules")] * 2 + [("GET", "/v2/local/modules/user-defined/artifacts")] * 4), again.requests
    # 2.0.0 deployed earlier: a later run with the option has only the databases to upgrade (no prune: 1.0.0 stays);
    # in check mode with --diff, each database's module_list before and after, and no write
    check = deploy(testmodules.v2["path"], check=True, diff=True, module_lifecycle_upgrade_databases=True)
    assert check.rc == 0 and check.writes == [], check
    assert '-            "semantic_version": "1.0.0"' in check.stdout and '+            "semantic_version": "2.0.0"' in check.stdout, check
    assert "(check mode, would be) db ledger: hello 1.0.0 %s 2.0.0" % ARROW in check.output, check
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True)
    assert run.rc == 0, run
    assert [w[0] for w in run.writes] == ["POST"] * 3 and len(upgrade_posts(run.writes)) == 3, run.writes


def test_a_list_of_names_upgrades_only_those(deploy, two_clusters, testmodules, in_use):
    emu = two_clusters
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=["orders", "ledger"], module_lifecycle_prune=True)
    assert run.rc == 0, run
    assert sorted(upgrade_posts(run.writes)) == sorted([("/v1/bdbs/%d/upgrade" % in_use["orders"], "c1-node1"),
                                                        ("/v1/bdbs/%d/upgrade" % in_use["ledger"], "c2-node1")])
    assert hello_of(emu, "c1-node1") == {"orders": ["2.0.0"], "billing": ["1.0.0"]}
    # prune: 1.0.0 stays on c1 (billing uses it), with the warning; gone from c2
    assert "prune kept hello 1.0.0 (10000) on cluster c1" in run.flat_output and "billing" in run.flat_output, run
    objects, artifacts = versions_of(emu, "c1-node1")
    assert objects == [10000, 20000] and set(map(tuple, artifacts.values())) == {(10000, 20000)}
    objects, artifacts = versions_of(emu, "c2-node1")
    assert objects == [20000] and set(map(tuple, artifacts.values())) == {(20000,)}


def test_a_name_on_no_cluster_stops_before_anything_changes(deploy, testmodules, in_use):
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=["orders", "nope"])
    assert run.rc != 0 and run.writes == [], run
    assert "Nothing was changed" in run.flat_output and "no database named 'nope'" in run.flat_output, run


# the fault on c1's first node -> what the failure says. A failed action carries the server's error_message and
# error_code; an aborted or cancelled one ends the wait at once (role's wait_timeout: 600 s) and fails the same way.
@pytest.mark.parametrize("fault, args, said", [
    ("fail-upgrade", ["shard_restart_failed", "Shard 3 did not restart"], "Shard 3 did not restart (shard_restart_failed)"),
    ("abort-upgrade", [], "was aborted"),
    ("cancel-upgrade", [], "was cancelled"),
])
def test_a_failed_upgrade_stops_its_cluster_only(deploy, two_clusters, testmodules, in_use, fault, args, said):
    emu = two_clusters
    emu.fault("c1-node1", fault, *args)
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True,
                 module_lifecycle_upgrade_timeout=600)
    assert run.rc != 0, run
    # the action ended when the emulator's action time (0.3 s) was up: the module saw it end in one poll (every 2 s)
    polls = [e for e in run.requests if e["method"] == "GET" and e["path"].startswith("/v1/actions/") and e["cluster"] == "c1"]
    assert 1 <= len(polls) <= 2, polls
    assert said in run.flat_output, run
    # c1: orders failed, billing was not tried, nothing removed (every module object and artifact kept)
    assert [p for p in upgrade_posts(run.writes) if p[1].startswith("c1")] == [("/v1/bdbs/%d/upgrade" % in_use["orders"], "c1-node1")]
    assert not [w for w in run.writes if w[0] == "DELETE" and w[2].startswith("c1")], run.writes
    assert hello_of(emu, "c1-node1") == {"orders": ["1.0.0"], "billing": ["1.0.0"]}
    objects, artifacts = versions_of(emu, "c1-node1")
    assert objects == [10000, 20000] and set(map(tuple, artifacts.values())) == {(10000, 20000)}
    assert "database upgrade of 'orders' failed" in run.flat_output, run
    assert "Not upgraded: billing" in run.flat_output and "run the role again" in run.flat_output, run
    # c2: upgraded and pruned
    assert hello_of(emu, "c2-node1") == {"ledger": ["2.0.0"]}
    objects, artifacts = versions_of(emu, "c2-node1")
    assert objects == [20000] and set(map(tuple, artifacts.values())) == {(20000,)}
    # only c1's hosts failed
    recap = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", run.output, re.M))
    assert recap == {"c1-node1": "1", "c1-node2": "1", "c2-node1": "0", "c2-node2": "0"}, run

    # the next run finishes the job
    again = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert again.rc == 0, again
    assert hello_of(emu, "c1-node1") == {"orders": ["2.0.0"], "billing": ["2.0.0"]}
    objects, artifacts = versions_of(emu, "c1-node1")
    assert objects == [20000] and set(map(tuple, artifacts.values())) == {(20000,)}


def test_clusters_in_parallel_databases_one_at_a_time(deploy, two_clusters, testmodules, in_use):
    emu = two_clusters
    for node in ("c1-node1", "c2-node1"):
        emu.fault(node, "action-time", 2)
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True)
    assert run.rc == 0, run
    log = [(e["method"], e["path"], e["node"][:2]) for e in run.requests]
    orders, billing, ledger = (log.index(("POST", "/v1/bdbs/%d/upgrade" % in_use[name], cluster))
                               for name, cluster in (("orders", "c1"), ("billing", "c1"), ("ledger", "c2")))
    polls = dict((c, [i for i, (method, path, cluster) in enumerate(log) if path.startswith("/v1/actions/") and cluster == c])
                 for c in ("c1", "c2"))
    last_poll_of_orders = max(i for i in polls["c1"] if i < billing)
    # each cluster's first database was started before the other's action ended (the clusters in parallel) ...
    assert max(orders, ledger) < min(last_poll_of_orders, max(polls["c2"])), log
    # ... and c1's second database only after its first one's action was read for the last time (one at a time)
    assert last_poll_of_orders < billing, log


def test_serial_batches_upgrade_once_the_cluster_is_complete(deploy, two_clusters, testmodules, in_use):
    emu = two_clusters
    # c1 is split over the two batches: batch 1 (c1-node1) reads c1-node2 at its address, finds it without 2.0.0 and
    # leaves c1's databases and 1.0.0 alone, saying why; batch 2 completes c1 and does them
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True,
                 module_lifecycle_serial=[1, 3])
    assert run.rc == 0, run
    node2 = emu.node("c1-node2")
    assert ("cluster c1: databases orders, billing not upgraded in this run: node 2 (%s), not in this run (or batch) "
            "lacks hello 2.0.0 (20000)" % node2["address"]) in run.flat_output, run
    # each cluster's databases through its first host of the batch that completed the cluster, once each
    assert sorted(upgrade_posts(run.writes)) == sorted([("/v1/bdbs/%d/upgrade" % in_use["orders"], "c1-node2"),
                                                        ("/v1/bdbs/%d/upgrade" % in_use["billing"], "c1-node2"),
                                                        ("/v1/bdbs/%d/upgrade" % in_use["ledger"], "c2-node1")])
    assert hello_of(emu, "c1-node1") == {"orders": ["2.0.0"], "billing": ["2.0.0"]}
    # prune: the module objects went, and the batch that pruned removed the 1.0.0 artifacts from every node of the
    # cluster, c1-node1 of the first batch too (read and pruned at its address, like a node outside the play)
    assert versions_of(emu, "c2-node1") == ([20000], {"c2-node1": [20000], "c2-node2": [20000]})
    assert versions_of(emu, "c1-node1") == ([20000], {"c1-node1": [20000], "c1-node2": [20000]})
    again = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert again.rc == 0 and upgrade_posts(again.writes) == [], again
    assert versions_of(emu, "c1-node1") == ([20000], {"c1-node1": [20000], "c1-node2": [20000]})


def test_run_from_node(deploy, two_clusters, testmodules, in_use):
    emu = two_clusters
    extra = dict(module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True, module_lifecycle_run_from="node",
                 module_lifecycle_local_url="{{ module_lifecycle_node_url }}")
    run = deploy(testmodules.v2["path"], **extra)
    assert run.rc == 0, run
    assert len(upgrade_posts(run.writes)) == 3
    assert hello_of(emu, "c1-node1") == {"orders": ["2.0.0"], "billing": ["2.0.0"]}
    assert hello_of(emu, "c2-node1") == {"ledger": ["2.0.0"]}
    for node in ("c1-node1", "c2-node1"):
        objects, artifacts = versions_of(emu, node)
        assert objects == [20000] and set(map(tuple, artifacts.values())) == {(20000,)}, (objects, artifacts)
    again = deploy(testmodules.v2["path"], **extra)
    assert again.rc == 0 and again.writes == [], again


def test_serial_one_cluster_per_batch_upgrades_and_prunes_each_cluster_in_its_batch(
        deploy, two_clusters, testmodules, in_use):
    """The production advice: the inventory ordered by cluster, serial = the nodes of one cluster. Each batch
    upgrades its own cluster's databases and prunes 1.0.0 there, before the next cluster is touched."""
    emu = two_clusters
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True,
                 module_lifecycle_serial=2)
    assert run.rc == 0, run
    # (the task names mention "prune skipped": look for the messages themselves)
    assert "not upgraded in this run" not in run.flat_output and "prune skipped on cluster" not in run.flat_output, run
    assert "upgrades skipped:" not in run.flat_output and "prune skipped:" not in run.flat_output, run
    assert sorted(upgrade_posts(run.writes)) == sorted([("/v1/bdbs/%d/upgrade" % in_use["orders"], "c1-node1"),
                                                        ("/v1/bdbs/%d/upgrade" % in_use["billing"], "c1-node1"),
                                                        ("/v1/bdbs/%d/upgrade" % in_use["ledger"], "c2-node1")])
    # every write of c1 (uploads, upgrades, prune) before the first write of c2: one cluster at a time
    clusters = [w[2][:2] for w in run.writes]
    assert clusters == sorted(clusters) and "c2" in clusters, run.writes
    c1 = [w for w in run.writes if w[2].startswith("c1")]
    assert [w[0] for w in c1].count("DELETE") == 3, c1  # the module object and the artifact on both nodes
    assert hello_of(emu, "c1-node1") == {"orders": ["2.0.0"], "billing": ["2.0.0"]}
    assert hello_of(emu, "c2-node1") == {"ledger": ["2.0.0"]}
    assert versions_of(emu, "c1-node1") == ([20000], {"c1-node1": [20000], "c1-node2": [20000]})
    assert versions_of(emu, "c2-node1") == ([20000], {"c2-node1": [20000], "c2-node2": [20000]})
    again = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True,
                   module_lifecycle_serial=2)
    assert again.rc == 0 and again.writes == [], again
    assert "no change" in again.output


def test_a_cluster_partly_in_the_play_is_upgraded_once_every_node_has_the_version(
        deploy, two_clusters, testmodules, in_use):
    emu = two_clusters
    node2 = emu.node("c1-node2")
    # --limit to one node of c1: c1-node2 is read at its address and lacks 2.0.0: nothing upgraded, and the run says so
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=["orders"],
                 module_lifecycle_hosts="c1-node1")
    assert run.rc == 0 and upgrade_posts(run.writes) == [], run
    assert ("cluster c1: databases orders not upgraded in this run: node 2 (%s), not in this run (or batch) lacks "
            "hello 2.0.0 (20000)" % node2["address"]) in run.flat_output, run
    assert hello_of(two_clusters, "c1-node1")["orders"] == ["1.0.0"]
    # the other node's run completes the cluster: orders is upgraded through it, the module checking both nodes
    run = deploy(testmodules.v2["path"], module_lifecycle_upgrade_databases=["orders"],
                 module_lifecycle_hosts="c1-node2")
    assert run.rc == 0, run
    assert upgrade_posts(run.writes) == [("/v1/bdbs/%d/upgrade" % in_use["orders"], "c1-node2")], run
    assert hello_of(two_clusters, "c1-node1") == {"orders": ["2.0.0"], "billing": ["1.0.0"]}
