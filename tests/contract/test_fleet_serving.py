# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: one emulator serves a fleet (10 clusters x 10 nodes) from a few threads.

Not a timing test (speed is measured in tests/bench): it checks the structure that makes the
emulator fast at this scale. Every node answers on its own address with verified TLS, one acceptor
serves every listener (no thread per node), connections get threads of their own while they are
open, and a node taken down and brought back is served again.
"""

import concurrent.futures
import time

import pytest
import requests

from tests.contract.helpers import Api
from tests.pytest_emulator import RunningEmulator

CLUSTERS = 10
NODES = 10


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    emu = RunningEmulator(tmp_path_factory.mktemp("fleet"), {"f%d" % k: NODES for k in range(1, CLUSTERS + 1)})
    emu.start()
    yield emu
    emu.stop()


def threads_of(pid):
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line for pid %d" % pid)


def test_every_node_answers_on_its_own_address(fleet):
    nodes = fleet.nodes
    assert len(nodes) == CLUSTERS * NODES
    assert len({n["address"] for n in nodes}) == CLUSTERS * NODES

    def node_uids(node):
        resp = Api(fleet, node["name"]).get("/v1/nodes")
        assert resp.status_code == 200, resp.text
        return node["name"], sorted(n["uid"] for n in resp.json())

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = dict(pool.map(node_uids, nodes))
    assert answers == {n["name"]: list(range(1, NODES + 1)) for n in nodes}


def test_idle_fleet_uses_a_few_threads_not_one_per_node(fleet):
    # main, the acceptor, the control server; nothing per node
    assert threads_of(fleet.proc.pid) <= 5


def test_open_connections_have_threads_that_end_with_them(fleet):
    before = threads_of(fleet.proc.pid)
    sessions = [Api(fleet, n["name"]) for n in fleet.nodes[:8]]
    for api in sessions:
        assert api.get("/v1/cluster").status_code == 200   # keep-alive: the connection stays open
    assert threads_of(fleet.proc.pid) >= before + 8
    for api in sessions:
        api.session.close()
    for _attempt in range(100):
        if threads_of(fleet.proc.pid) <= before:
            break
        time.sleep(0.05)  # a moment for the handler threads to see the close
    assert threads_of(fleet.proc.pid) <= before


def test_a_node_down_and_up_again_in_a_fleet(fleet):
    name = fleet.nodes[57]["name"]
    api = Api(fleet, name)
    assert api.get("/v1/cluster").status_code == 200
    fleet.fault(name, "down")
    with pytest.raises(requests.exceptions.ConnectionError):
        Api(fleet, name).get("/v1/cluster", timeout=5)
    neighbour = fleet.nodes[58]["name"]
    assert Api(fleet, neighbour).get("/v1/cluster").status_code == 200   # the others keep serving
    fleet.fault(name, "up")
    assert Api(fleet, name).get("/v1/cluster").status_code == 200
