# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract tests share one emulator per test module (two clusters; c1-node3 runs rhel9, c2-node1 aarch64)."""

import pytest

from tests.contract.helpers import Api
from tests.pytest_emulator import RunningEmulator


@pytest.fixture(scope="module")
def shared_emu(tmp_path_factory):
    emu = RunningEmulator(tmp_path_factory.mktemp("emulator"), {"c1": 3, "c2": 1},
                          node_os={"c1-node3": "rhel9"}, node_arch={"c2-node1": "aarch64"})
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def api(shared_emu):
    """Admin on c1-node1, with uploads enabled."""
    client = Api(shared_emu, "c1-node1")
    client.allow_uploads(True)
    return client
