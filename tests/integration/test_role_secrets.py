# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No password in the role's output or log, at -vvvv, on a run that succeeds and on one that fails.

The successful run uses module_lifecycle_allow_uploads: temporary, so it goes through every task
that carries credentials: the modules (module_defaults) and the restore of allow_modules_upload.
"""

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")

pytestmark = pytest.mark.slow


def deploy_vars(emulator, testmodules, password):
    return {"module_lifecycle_artifacts": [{"src": testmodules.v1["path"]}],
            "module_lifecycle_allow_uploads": "temporary",
            "module_lifecycle_username": emulator.admin["username"],
            "module_lifecycle_password": password,
            "module_lifecycle_ca_path": emulator.ca_file}


def read_log(run):
    with open(run.log_path) as handle:
        return handle.read()


def test_no_password_at_vvvv_on_success(ansible_run, emulator, testmodules):
    password = emulator.admin["password"]
    run = ansible_run(DEPLOY, inventory=emulator.inventory_path, verbosity=4,
                      extra_vars=deploy_vars(emulator, testmodules, password))
    assert run.rc == 0, run
    assert "nodes ready 3/3" in run.output, run
    assert "restored to false" in run.output, run
    assert password not in run.output
    assert password not in read_log(run)


def test_no_password_at_vvvv_on_bad_credentials(ansible_run, emulator, testmodules):
    wrong = "Wr0ng-" + emulator.admin["password"][::-1]
    mark = emulator.mark()
    run = ansible_run(DEPLOY, inventory=emulator.inventory_path, verbosity=4,
                      extra_vars=deploy_vars(emulator, testmodules, wrong))
    assert run.rc != 0, run
    assert "401" in run.output and "Nothing was changed" in run.output, run
    assert emulator.writes(mark) == []
    for secret in (wrong, emulator.admin["password"]):
        assert secret not in run.output
        assert secret not in read_log(run)
