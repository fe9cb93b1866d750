# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job slices and concurrent runs of playbooks/deploy.yml against the emulator (issue 10, item 4).

AWX job slicing runs K copies of the playbook at once, each with an inventory that holds only its slice's hosts.
Here each slice gets such an inventory file, and the K ansible-playbook processes are started together. A slice
holds nodes of several clusters, so every cluster gets K concurrent "first host" creates, uploads, gate changes
and prunes. Every run must end rc 0 with no failed or ignored task, and the clusters must end as one run over the
whole inventory leaves them: a run over the whole inventory afterwards changes and writes nothing.
"""

import os
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import api_get, ansible_env

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
REMOVE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "remove.yml")
ARTIFACTS = "/v2/local/modules/user-defined/artifacts"
CLUSTERS = {"c1": 3, "c2": 2}

pytestmark = pytest.mark.slow


def state(emulator):
    """What a deploy decides, per cluster: user-defined module objects, each node's artifacts, allow_modules_upload."""
    out = {}
    for cluster in emulator.clusters:
        names = [node["name"] for node in cluster["nodes"]]
        objects = sorted((m["module_name"], m["version"]) for m in api_get(emulator, names[0], "/v1/modules")
                         if not m.get("is_bundled"))
        out[cluster["name"]] = {
            "objects": objects,
            "artifacts": dict((name, sorted((a["module_name"], a["version"]) for a in api_get(emulator, name, ARTIFACTS)))
                              for name in names),
            "allow_modules_upload": api_get(emulator, names[0], "/v1/cluster").get("allow_modules_upload"),
        }
    return out


def slice_inventories(emulator, tmp_path, k, hosts=None):
    """K inventory files as AWX job slicing writes them: slice i holds hosts i, i+K, ... of the inventory, and
    nothing of the other hosts (not in any group, no hostvars). ``hosts`` gives the slices by hand instead."""
    with open(emulator.inventory_path) as handle:
        full = yaml.safe_load(handle)
    order = [host for data in full["all"]["children"].values() for host in data["hosts"]]
    slices = hosts or [order[i::k] for i in range(k)]
    paths = []
    for index, wanted in enumerate(slices):
        inventory = {"all": {"vars": full["all"]["vars"], "children": {}}}
        for group, data in full["all"]["children"].items():
            kept = dict((host, hostvars) for host, hostvars in data["hosts"].items() if host in wanted)
            if kept:
                inventory["all"]["children"][group] = {"hosts": kept}
        path = tmp_path / ("slice%d.yml" % (index + 1))
        path.write_text(yaml.safe_dump(inventory))
        paths.append(str(path))
    return paths


class Run(object):
    def __init__(self, proc, stdout, stderr):
        self.rc = proc.returncode
        self.output = stdout + stderr
        self.recap = [line for line in stdout.splitlines() if " : ok=" in line]

    def __repr__(self):
        return "Run(rc=%s)\n%s" % (self.rc, self.output[-6000:])

    @property
    def clean(self):
        """rc 0, and no host with a failed, unreachable or ignored (failed but ignored) task."""
        return self.rc == 0 and self.recap and all(
            "failed=0" in line and "unreachable=0" in line and "ignored=0" in line for line in self.recap)


@pytest.fixture
def deploy(emulator_factory, tmp_path):
    """deploy(inventories, **vars): start one ansible-playbook per inventory at once, wait for all; [Run]."""
    counter = [0]

    def run(emulator, inventories, playbook=DEPLOY, **extra):
        admin = emulator.admin
        data = {"module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
                "module_lifecycle_ca_path": emulator.ca_file, "module_lifecycle_allow_uploads": "temporary"}
        data.update(extra)
        procs = []
        for inventory in inventories:
            counter[0] += 1
            work = tmp_path / ("run%d" % counter[0])
            work.mkdir()
            extra_file = work / "extra_vars.yml"
            extra_file.write_text(yaml.safe_dump(data))
            cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-i", inventory,
                   "-e", "@%s" % extra_file]
            procs.append(subprocess.Popen(cmd, cwd=str(work), env=ansible_env(work), stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
        runs = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=900)
            runs.append(Run(proc, stdout, stderr))
            assert admin["password"] not in stdout + stderr
            assert "Traceback" not in stdout + stderr
        return runs

    return run


def converged(emulator, deploy, src, **extra):
    """A run over the whole inventory afterwards writes nothing: the slices left what one run leaves."""
    mark = emulator.mark()
    again = deploy(emulator, [emulator.inventory_path], module_lifecycle_artifacts=[{"src": src}], **extra)[0]
    assert again.clean, again
    assert "changed=0" in " ".join(again.recap), again
    assert emulator.writes(mark) == [], again


def expected(emulator, versions, setting=False):
    return dict((c["name"], {"objects": [("hello", v) for v in versions],
                             "artifacts": dict((n["name"], [("hello", v) for v in versions]) for n in c["nodes"]),
                             "allow_modules_upload": setting}) for c in emulator.clusters)


def overlap(emulator, seconds, laggard=None, lag=0):
    """Slow every node's answers so that the runs' writes overlap (each run needs several round trips per node);
    ``laggard`` answers slower still, so the slice that holds it ends last: the other slices restore
    allow_modules_upload and reach prune while it still uploads."""
    for node in emulator.nodes:
        emulator.fault(node["name"], "slow", lag if node["name"] == laggard else seconds)


def test_three_slices_deploy_with_temporary_uploads(emulator_factory, deploy, testmodules, tmp_path):
    emulator = emulator_factory(clusters=CLUSTERS)
    before = state(emulator)
    assert all(c["allow_modules_upload"] is False for c in before.values())
    overlap(emulator, 0.2, "c1-node3", 2.5)
    mark = emulator.mark()
    runs = deploy(emulator, slice_inventories(emulator, tmp_path, 3), module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}])
    for run in runs:
        assert run.clean, run
    assert state(emulator) == expected(emulator, [10000])
    log = emulator.requests(mark)
    # every slice tried to create each cluster's module object (each holds a node of c1 and of c2)
    creates = [e for e in log if e["method"] == "POST" and e["path"] == "/v2/modules/user-defined"]
    assert sorted(e["status"] for e in creates if e["cluster"] == "c1") in ([200, 409, 409], [200, 409], [200]), creates
    # allow_modules_upload was turned off by the last run that turned it on
    puts = [e for e in log if e["method"] == "PUT" and e["path"] == "/v1/cluster"]
    assert puts, log
    overlap(emulator, 0)
    converged(emulator, deploy, testmodules.v1["path"])

    # the same slices remove it: every slice tries to delete each module object (404 for the losers)
    overlap(emulator, 0.2, "c1-node3", 1)
    runs = deploy(emulator, slice_inventories(emulator, tmp_path, 3), playbook=REMOVE,
                  module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}])
    for run in runs:
        assert run.clean, run
    assert state(emulator) == expected(emulator, [])


def test_two_full_runs_at_once(emulator_factory, deploy, testmodules):
    emulator = emulator_factory(clusters=CLUSTERS)
    overlap(emulator, 0.2)
    runs = deploy(emulator, [emulator.inventory_path] * 2, module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}])
    for run in runs:
        assert run.clean, run
    assert state(emulator) == expected(emulator, [10000])
    overlap(emulator, 0)
    converged(emulator, deploy, testmodules.v1["path"])


def test_three_slices_prune_an_old_version(emulator_factory, deploy, testmodules, tmp_path):
    emulator = emulator_factory(clusters=CLUSTERS)
    first = deploy(emulator, [emulator.inventory_path], module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}])[0]
    assert first.clean, first
    assert state(emulator) == expected(emulator, [10000])
    overlap(emulator, 0.2, "c1-node3", 2.5)
    runs = deploy(emulator, slice_inventories(emulator, tmp_path, 3), module_lifecycle_artifacts=[{"src": testmodules.v2["path"]}],
                  module_lifecycle_prune=True)
    for run in runs:
        assert run.clean, run
    # A slice that reached prune before another slice's node listed 2.0.0 skipped it there; the slice of the slow
    # node ends last and sees every node with 2.0.0, so it prunes c1, on every node of the cluster.
    assert "prune skipped on cluster c1" not in runs[2].output, runs[2]
    assert state(emulator) == expected(emulator, [20000])
    overlap(emulator, 0)
    converged(emulator, deploy, testmodules.v2["path"], module_lifecycle_prune=True)


# run_from node: the modules run on each node (here, as in molecule/multi_cluster, the local URL is the node's own)
ON_NODE = {"module_lifecycle_run_from": "node", "module_lifecycle_local_url": "{{ module_lifecycle_node_url }}"}


@pytest.mark.parametrize("where", [{}, ON_NODE], ids=["controller", "node"])
def test_slice_does_not_prune_while_a_node_outside_it_lacks_the_new_version(emulator_factory, deploy, testmodules, tmp_path,
                                                                            where):
    emulator = emulator_factory(clusters={"c1": 3})
    first = deploy(emulator, [emulator.inventory_path], module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}])[0]
    assert first.clean, first
    slice12, slice3 = slice_inventories(emulator, tmp_path, 2, hosts=[["c1-node1", "c1-node2"], ["c1-node3"]])
    v2 = dict(module_lifecycle_artifacts=[{"src": testmodules.v2["path"]}], module_lifecycle_prune=True, **where)

    # c1-node3 (outside the slice) lacks 2.0.0: nothing of 1.0.0 is removed, and the run says why
    mark = emulator.mark()
    run = deploy(emulator, [slice12], **v2)[0]
    assert run.clean, run
    flat = " ".join(run.output.split())
    assert "prune skipped on cluster c1" in flat, run
    node3 = emulator.node("c1-node3")
    assert "node 3 (%s), not in this run (or batch) lacks hello 2.0.0 (20000)" % node3["address"] in flat, run
    assert [e for e in emulator.writes(mark) if e["method"] == "DELETE"] == []
    now = state(emulator)["c1"]
    assert now["objects"] == [("hello", 10000), ("hello", 20000)]
    assert now["artifacts"] == {"c1-node1": [("hello", 10000), ("hello", 20000)], "c1-node2": [("hello", 10000), ("hello", 20000)],
                                "c1-node3": [("hello", 10000)]}

    # c1-node3 down: it cannot be read, so prune is skipped again
    emulator.fault("c1-node3", "down")
    mark = emulator.mark()
    run = deploy(emulator, [slice12], **v2)[0]
    assert run.clean, run
    assert "node 3 (%s), not in this run (or batch) could not be read" % node3["address"] in " ".join(run.output.split()), run
    assert emulator.writes(mark) == []
    emulator.fault("c1-node3", "up")

    # the slice of c1-node3 uploads 2.0.0 there; now every node has it: 1.0.0 goes, from c1-node1 and 2 as well
    mark = emulator.mark()
    run = deploy(emulator, [slice3], **v2)[0]
    assert run.clean, run
    assert "prune skipped on cluster" not in run.output, run
    deletes = [(e["node"], e["path"]) for e in emulator.writes(mark) if e["method"] == "DELETE"]
    assert sorted(node for node, path in deletes if path == ARTIFACTS + "/hello/10000") == ["c1-node1", "c1-node2", "c1-node3"]
    assert state(emulator) == expected(emulator, [20000])
    converged(emulator, deploy, testmodules.v2["path"], module_lifecycle_prune=True)


def test_three_slices_upgrade_the_databases_and_prune(emulator_factory, deploy, testmodules, tmp_path):
    """K = 3 slices at once with module_lifecycle_upgrade_databases and prune: each slice holds a part of each cluster.
    A slice whose whole-cluster read shows every node with 2.0.0 upgrades the cluster's databases; two slices upgrading
    the same database at once do not fail (the loser waits out the server's 409 and finds it upgraded); the clusters end
    as one run leaves them."""
    from tests.integration.test_role_upgrade_databases import create_db, hello_of
    emulator = emulator_factory(clusters=CLUSTERS)
    first = deploy(emulator, [emulator.inventory_path], module_lifecycle_artifacts=[{"src": testmodules.v1["path"]}])[0]
    assert first.clean, first
    create_db(emulator, "c1-node1", "orders")
    create_db(emulator, "c1-node1", "billing")
    create_db(emulator, "c2-node1", "ledger")
    # upgrades that last a while, so that the slices' upgrades of one database overlap
    for node in emulator.nodes:
        emulator.fault(node["name"], "action-time", 1)
    overlap(emulator, 0.2, "c1-node3", 1.5)
    mark = emulator.mark()
    options = dict(module_lifecycle_artifacts=[{"src": testmodules.v2["path"]}], module_lifecycle_prune=True,
                   module_lifecycle_upgrade_databases=True)
    runs = deploy(emulator, slice_inventories(emulator, tmp_path, 3), **options)
    for run in runs:
        assert run.clean, run
    # the slice of the slow node ends last and finds c1 complete: c1 is upgraded and pruned at the latest by it
    assert "not upgraded in this run" not in " ".join(runs[2].output.split()), runs[2]
    assert "prune skipped on cluster c1" not in runs[2].output, runs[2]
    assert hello_of(emulator, "c1-node1") == {"orders": ["2.0.0"], "billing": ["2.0.0"]}
    assert hello_of(emulator, "c2-node1") == {"ledger": ["2.0.0"]}
    assert state(emulator) == expected(emulator, [20000])
    # each database was upgraded once: every upgrade the server accepted (200) is of a different database
    log = emulator.requests(mark)
    accepted = [(e["cluster"], e["path"]) for e in log if e["method"] == "POST" and e["path"].endswith("/upgrade")
                and e["status"] == 200]
    assert sorted(accepted) == sorted(set(accepted)) and len(accepted) == 3, accepted
    overlap(emulator, 0)
    converged(emulator, deploy, testmodules.v2["path"], module_lifecycle_prune=True, module_lifecycle_upgrade_databases=True)
