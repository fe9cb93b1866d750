# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REDIS_ENTERPRISE_* variables through the playbooks (the module_lifecycle role), issue 10 item 2.

Order for each connection setting: the role variable when set, else the environment of ansible-playbook,
else the modules' default. Every run here verifies TLS against the emulator's CA, except the ones about
turning verification off. REDIS_ENTERPRISE_URL does not apply to the role (each node has its own URL):
the read pass warns when it is set.
"""

import os

import pytest

from tests.integration.test_url_refusal import (CLEAR_TEXT_WARNING, DEPLOY, EMPTY_LIST, REFUSED, STATUS, role_inventory,
                                                role_vars)

NOT_AUTHENTICATED = "validate_certs is false: the server at"
URL_IGNORED = "REDIS_ENTERPRISE_URL is set, but the module_lifecycle role does not use it"

pytestmark = pytest.mark.slow


def credentials_env(emulator, **extra):
    admin = emulator.admin
    env = {"REDIS_ENTERPRISE_USERNAME": admin["username"], "REDIS_ENTERPRISE_PASSWORD": admin["password"],
           "REDIS_ENTERPRISE_CA_PATH": emulator.ca_file}
    env.update(extra)
    return env


def read_log(run):
    if not os.path.exists(run.log_path):
        return ""
    with open(run.log_path) as handle:
        return handle.read()


def assert_no_secret(run, *secrets):
    assert "Traceback" not in run.output, run
    for secret in secrets:
        assert secret not in run.output
        assert secret not in read_log(run)


@pytest.fixture
def playbook(ansible_run, emulator):
    """Run a playbook of the collection against the emulator; the result also has the writes it sent."""
    def run(path, env, extra_vars=None, verbosity=0):
        mark = emulator.mark()
        result = ansible_run(path, inventory=emulator.inventory_path, extra_vars=extra_vars, env=env,
                             verbosity=verbosity)
        result.requests = emulator.requests(mark)
        result.writes = [entry for entry in result.requests if entry["method"] != "GET"]
        return result
    return run


def test_deploy_and_status_with_credentials_only_in_the_environment(playbook, emulator, testmodules):
    password = emulator.admin["password"]
    # A REDIS_ENTERPRISE_URL that answers nothing: the role must not use it, and says so.
    env = credentials_env(emulator, REDIS_ENTERPRISE_URL="https://127.0.0.1:9")
    deploy_vars = {"module_lifecycle_artifacts": [{"src": testmodules.v1["path"]}],
                   "module_lifecycle_allow_uploads": "temporary"}

    run = playbook(DEPLOY, env, deploy_vars, verbosity=3)
    assert run.rc == 0, run
    assert "nodes ready 3/3" in run.output and "restored to false" in run.output, run
    assert URL_IGNORED in run.flat_output, run
    assert any(w["method"] == "POST" for w in run.writes), run.writes
    assert_no_secret(run, password)

    again = playbook(DEPLOY, env, deploy_vars, verbosity=3)
    assert again.rc == 0, again
    assert again.writes == [], again.writes
    assert_no_secret(again, password)

    status = playbook(STATUS, env, verbosity=3)
    assert status.rc == 0, status
    assert "cluster c1: in sync" in status.output, status
    assert status.writes == []
    assert NOT_AUTHENTICATED not in status.flat_output, status
    assert_no_secret(status, password)


def test_status_without_any_credential_says_where_to_set_them(playbook, emulator):
    run = playbook(STATUS, {"REDIS_ENTERPRISE_CA_PATH": emulator.ca_file})
    assert run.rc != 0, run
    assert "set module_lifecycle_username and module_lifecycle_password or the environment variable(s) " \
           "REDIS_ENTERPRISE_USERNAME and REDIS_ENTERPRISE_PASSWORD" in run.flat_output, run
    assert run.requests == [], run.requests


def test_timeout_from_the_environment_and_the_role_variable_over_it(playbook, emulator):
    emulator.fault("c1-node2", "slow", 3)
    run = playbook(STATUS, credentials_env(emulator, REDIS_ENTERPRISE_TIMEOUT="1"))
    assert run.rc != 0, run
    assert "Nodes not read: c1-node2:" in run.flat_output, run
    assert "within 1 s" in run.flat_output, run

    run = playbook(STATUS, credentials_env(emulator, REDIS_ENTERPRISE_TIMEOUT="1"),
                   {"module_lifecycle_timeout": 10})
    assert run.rc == 0, run
    assert "cluster c1: in sync" in run.output, run

    emulator.fault("c1-node2", "slow", 0)
    run = playbook(STATUS, credentials_env(emulator, REDIS_ENTERPRISE_TIMEOUT="soon"))
    assert run.rc != 0, run
    assert "timeout comes from the variable module_lifecycle_timeout or, when that is unset, from the environment " \
           "variable REDIS_ENTERPRISE_TIMEOUT" in run.flat_output, run
    assert run.writes == []


def test_validate_certs_from_the_environment_and_the_role_variable_over_it(playbook, emulator):
    # No CA anywhere: only turning verification off lets the report read the emulator.
    env = credentials_env(emulator, REDIS_ENTERPRISE_VALIDATE_CERTS="false")
    del env["REDIS_ENTERPRISE_CA_PATH"]
    run = playbook(STATUS, env, verbosity=3)
    assert run.rc == 0, run
    assert "cluster c1: in sync" in run.output, run
    assert NOT_AUTHENTICATED in run.flat_output, run
    assert_no_secret(run, emulator.admin["password"])

    run = playbook(STATUS, env, {"module_lifecycle_validate_certs": True})
    assert run.rc != 0, run
    assert "CERTIFICATE_VERIFY_FAILED" in run.flat_output or "certificate verify failed" in run.flat_output, run
    assert NOT_AUTHENTICATED not in run.flat_output, run

    # With the CA, true in the environment and false in the role: the role variable wins.
    run = playbook(STATUS, credentials_env(emulator, REDIS_ENTERPRISE_VALIDATE_CERTS="true"),
                   {"module_lifecycle_validate_certs": False})
    assert run.rc == 0, run
    assert NOT_AUTHENTICATED in run.flat_output, run


def test_allow_http_from_the_environment_and_the_role_variable_over_it(ansible_run, listener, testmodules, tmp_path):
    creds = role_vars(testmodules)
    password = creds.pop("module_lifecycle_password")
    env = {"REDIS_ENTERPRISE_USERNAME": creds.pop("module_lifecycle_username"), "REDIS_ENTERPRISE_PASSWORD": password,
           "REDIS_ENTERPRISE_ALLOW_HTTP": "true"}

    target = listener(answer=EMPTY_LIST)
    run = ansible_run(STATUS, inventory=role_inventory(tmp_path, target.url), env=env, verbosity=3)
    assert target.connections >= 1, run
    assert CLEAR_TEXT_WARNING in run.flat_output, run
    assert password not in run.output

    refused = listener()
    run = ansible_run(STATUS, inventory=role_inventory(tmp_path, refused.url), env=env,
                      extra_vars={"module_lifecycle_allow_http": False}, verbosity=3)
    assert run.rc != 0, run
    assert refused.connections == 0, refused.received
    assert REFUSED in run.output, run
    assert password not in run.output
