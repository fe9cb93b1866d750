# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module_lifecycle role with vault-encrypted packages, through playbooks/deploy.yml and the emulator.

The preflight reads packages through the module_package lookup, so a vaulted package is checked
(decrypted on the controller) like a plain one, and the modules then deploy it.
"""

import os

import pytest

from ansible.parsing.vault import VaultLib, VaultSecret
from tests.integration.conftest import api_get

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
PASSWORD = "vault-test-password"

pytestmark = pytest.mark.slow


def vault_encrypt(data, dest):
    dest.write_bytes(VaultLib([("default", VaultSecret(PASSWORD.encode()))]).encrypt(data))
    return str(dest)


@pytest.fixture
def deploy(ansible_run, emulator, tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text(PASSWORD + "\n")

    def run(src):
        admin = emulator.admin
        extra = {"module_lifecycle_artifacts": [{"src": src}], "module_lifecycle_allow_uploads": "temporary",
                 "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
                 "module_lifecycle_ca_path": emulator.ca_file}
        mark = emulator.mark()
        result = ansible_run(DEPLOY, inventory=emulator.inventory_path, extra_vars=extra,
                             args=["--vault-password-file", str(password_file)])
        result.writes = emulator.writes(mark)
        return result

    return run


def test_deploy_a_vaulted_package(deploy, emulator, testmodules, tmp_path):
    with open(testmodules.v1["path"], "rb") as handle:
        vaulted = vault_encrypt(handle.read(), tmp_path / "hello-1.0.0.zip.vault")

    run = deploy(vaulted)
    assert run.rc == 0, run
    assert "nodes ready 3/3" in run.output, run
    uploads = [w for w in run.writes if w["path"] == "/v2/local/modules/user-defined/artifacts" and w["status"] == 200]
    assert sorted(w["node"] for w in uploads) == ["c1-node1", "c1-node2", "c1-node3"], run.writes

    for node in [n["name"] for n in emulator.nodes]:
        listed = [(a["module_name"], int(a["version"])) for a in api_get(emulator, node, "/v2/local/modules/user-defined/artifacts")]
        assert ("hello", 10000) in listed, (node, listed)
    modules = [(m["module_name"], m.get("semantic_version")) for m in api_get(emulator, None, "/v1/modules") if not m.get("is_bundled")]
    assert modules == [("hello", "1.0.0")]
    assert api_get(emulator, None, "/v1/cluster")["allow_modules_upload"] is False


def test_broken_vaulted_package_stops_the_run_naming_the_users_file(deploy, emulator, tmp_path):
    vaulted = vault_encrypt(b"this is not a zip", tmp_path / "broken.zip")

    run = deploy(vaulted)
    assert run.rc != 0, run
    assert "Nothing was changed. %s: not a zip file" % vaulted in run.output, run
    assert run.writes == []
    for node in [n["name"] for n in emulator.nodes]:
        assert api_get(emulator, node, "/v2/local/modules/user-defined/artifacts") == []
