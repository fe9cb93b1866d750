# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role and playbooks against answers shaped as a real Redis Enterprise 8.0 cluster gives them.

The emulator serves the captured shapes by default (tests/fixtures/rs-8.0). Here, what a real server may do that
the documentation does not say: databases whose module_list leaves out module_id and semantic_version (both
deprecated since 7.8.2), an 8.0 cluster (no allow_modules_upload), and the cluster's module_upload_max_size_mb.
Every assertion reads the cluster through the REST API and the emulator's request log.
"""

import os
import re
import zipfile

import pytest
import requests

from tests.pytest_testmodules import repack

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks")
DEPLOY = os.path.join(PLAYBOOKS, "deploy.yml")
STATUS = os.path.join(PLAYBOOKS, "status.yml")
ARROW = u"\u2192"

pytestmark = pytest.mark.slow


def api(emu, method, path, node="c1-node1", **kwargs):
    conn = emu.conn(node=node)
    return requests.request(method, conn["url"] + path, auth=(conn["username"], conn["password"]),
                            verify=conn["ca_path"], timeout=30, **kwargs)


def hello_of(emu):
    return dict((b["name"], [e.get("module_id") for e in b["module_list"] if e["module_name"] == "hello"])
                for b in api(emu, "GET", "/v1/bdbs").json())


def hello_objects(emu):
    return dict((m["uid"], m["semantic_version"]) for m in api(emu, "GET", "/v1/modules").json() if m["module_name"] == "hello")


def runner(ansible_run, emu):
    admin = emu.admin

    def run(playbook, package=None, check=False, verbosity=0, env=None, **extra):
        extra_vars = {"module_lifecycle_allow_uploads": "temporary", "module_lifecycle_username": admin["username"],
                      "module_lifecycle_password": admin["password"], "module_lifecycle_ca_path": emu.ca_file}
        if package:
            extra_vars["module_lifecycle_artifacts"] = [{"src": package}]
        extra_vars.update(extra)
        mark = emu.mark()
        result = ansible_run(playbook, inventory=emu.inventory_path, extra_vars=extra_vars, check=check, verbosity=verbosity,
                             env=env)
        assert "Traceback" not in result.output and admin["password"] not in result.output, result
        result.requests = emu.requests(mark)
        result.writes = [(e["method"], e["path"], e["node"]) for e in result.requests if e["method"] != "GET"]
        return result
    return run


def create_db(emu, name):
    resp = api(emu, "POST", "/v1/bdbs", json={"name": name, "memory_size": 1 << 20, "redis_version": "8.2",
                                              "module_list": [{"module_name": "hello", "semantic_version": "1.0.0"}]})
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize("fields", ["no-semantic-version", "name-only"])
def test_databases_without_the_deprecated_module_list_fields(emulator_factory, ansible_run, testmodules, fields):
    """module_id alone tells the version: the upgrade goes through and a re-run writes nothing. With neither field and
    two versions of hello, the version cannot be told: no upgrade is sent, the run says so, prune keeps 1.0.0 (it may
    be in use), and a re-run writes nothing either."""
    emu = emulator_factory(clusters={"c1": 2}, extra_args=["--bdb-module-fields", fields])
    run = runner(ansible_run, emu)
    assert run(DEPLOY, testmodules.v1["path"]).rc == 0
    db = create_db(emu, "orders")
    secret = api(emu, "GET", "/v1/bdbs/%d" % db["uid"]).json()["authentication_admin_pass"]
    assert secret

    first = run(DEPLOY, testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True,
                verbosity=3)
    assert first.rc == 0, first
    assert secret not in first.output          # a real bdb object carries the database's admin password
    upgrades = [w for w in first.writes if w[1].endswith("/upgrade")]
    by_uid = hello_objects(emu)
    if fields == "no-semantic-version":
        assert upgrades == [("POST", "/v1/bdbs/%d/upgrade" % db["uid"], "c1-node1")], first.writes
        assert "db orders: hello 1.0.0 %s 2.0.0" % ARROW in first.output, first
        assert [by_uid[uid] for uid in hello_of(emu)["orders"]] == ["2.0.0"]
        assert sorted(by_uid.values()) == ["2.0.0"]                    # pruned: 1.0.0 no longer in use
    else:
        assert upgrades == [] and not [w for w in first.writes if w[0] == "DELETE"], first.writes
        assert "database 'orders' does not report which version of hello it uses" in first.flat_output, first
        assert "prune kept hello 1.0.0" in first.flat_output, first
        assert sorted(by_uid.values()) == ["1.0.0", "2.0.0"]

    again = run(DEPLOY, testmodules.v2["path"], module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert again.rc == 0 and again.writes == [], (again.writes, again)

    status = run(STATUS, testmodules.v2["path"])
    assert status.rc == 0 and status.writes == [], status


def test_an_8_0_cluster_as_captured(emulator_factory, ansible_run, testmodules, tmp_path):
    """No allow_modules_upload (nothing to enable or restore), nodes that list Redis 6.2 to 8.0 and memcached:
    deploy, re-run, upgrade and remove as on 8.2; the status report in sync."""
    emu = emulator_factory(clusters={"c1": 2}, software_version="8.0.2-17")
    run = runner(ansible_run, emu)
    # the test packages name Redis 8.2; an 8.0 cluster offers up to 8.0
    v1_80 = repack(testmodules.v1["path"], tmp_path / "hello-1.0.0.zip", compatible_redis_version="8.0")
    v2_80 = repack(testmodules.v2["path"], tmp_path / "hello-2.0.0.zip", compatible_redis_version="8.0")
    first = run(DEPLOY, v1_80)
    assert first.rc == 0, first
    assert not [w for w in first.writes if w[1] == "/v1/cluster"], first.writes      # no setting to change on 8.0
    again = run(DEPLOY, v1_80)
    assert again.rc == 0 and again.writes == [], again.writes
    resp = api(emu, "POST", "/v1/bdbs", json={"name": "orders", "memory_size": 1 << 20, "redis_version": "8.0",
                                              "module_list": [{"module_name": "hello"}]})
    assert resp.status_code == 200, resp.text
    up = run(DEPLOY, v2_80, module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True)
    assert up.rc == 0 and "db orders: hello 1.0.0 %s 2.0.0" % ARROW in up.output, up
    assert sorted(hello_objects(emu).values()) == ["2.0.0"]
    assert run(DEPLOY, v2_80, module_lifecycle_upgrade_databases=True, module_lifecycle_prune=True).writes == []
    status = run(STATUS, v2_80)
    assert status.rc == 0 and status.writes == [] and "in sync" in status.output, status


def padded(src, dest, extra_bytes):
    """A copy of a real package whose module file carries extra_bytes of random data after the ELF image (stored, not
    compressed): the same module, a larger upload."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(str(dest), "w", zipfile.ZIP_STORED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename.endswith(".so"):
                data += os.urandom(extra_bytes)
            new.writestr(info.filename, data)
    return str(dest)


def test_upload_limit_warned_before_and_named_in_the_refusal(emulator_factory, ansible_run, testmodules, tmp_path):
    emu = emulator_factory(clusters={"c1": 2})
    run = runner(ansible_run, emu)
    assert api(emu, "PUT", "/v1/cluster", json={"module_upload_max_size_mb": 1}).status_code == 200
    big = padded(testmodules.v1["path"], tmp_path / "hello-1.0.0.zip", 2 * 1024 * 1024)
    size = "%.1f MB" % (os.path.getsize(big) / 1048576.0)
    # c1-node2 applies the setting to artifacts (whether a real server does is not documented)
    emu.fault("c1-node2", "enforce-upload-limit")
    first = run(DEPLOY, big)
    assert first.rc != 0, first
    warning = "is %s, larger than module_upload_max_size_mb (1 MB) of cluster c1" % size
    assert warning in first.flat_output, first
    # Warnings go to stderr, task headers to stdout; the log has both in the order they happened: warned by the
    # preflight (reads only), before the upload task started.
    with open(first.log_path) as log:
        flat_log = " ".join(log.read().split())
    at = flat_log.index(warning)
    assert "Preflight | read every cluster and node" in flat_log[flat_log.rindex("TASK [", 0, at):at], flat_log[:at]
    assert at < flat_log.index("upload the missing artifacts to this node"), flat_log
    refusal = "The package is %s and the cluster's module_upload_max_size_mb is 1 MB" % size
    assert refusal in first.flat_output and 'PUT /v1/cluster {"module_upload_max_size_mb": 3}' in first.flat_output, first
    uploads = [w for w in first.writes if w[1] == "/v2/local/modules/user-defined/artifacts"]
    assert sorted(n for _m, _p, n in uploads) == ["c1-node1", "c1-node2"]
    listed = api(emu, "GET", "/v2/local/modules/user-defined/artifacts", node="c1-node2").json()
    assert listed == []
    assert re.search(r"^c1-node2\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=[1-9]", first.stdout, re.M), first

    # raised as the message says: the next run completes, and the one after writes nothing
    assert api(emu, "PUT", "/v1/cluster", json={"module_upload_max_size_mb": 3}).status_code == 200
    second = run(DEPLOY, big)
    assert second.rc == 0 and "larger than module_upload_max_size_mb" not in second.flat_output, second
    assert run(DEPLOY, big).writes == []
