# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packages from an artifact repository (url + checksum), through ansible-playbook against the emulator.

The repository is tests/package_server.py: HTTPS with a test CA of its own, basic authentication, a count of the
GETs it served. The emulator gains nothing for this. Asserted on the repository's count (downloads), the emulator's
request log (writes), and the output and log at -vvvv (the repository's password never appears).
"""

import hashlib
import json
import os

import pytest

from tests.integration.conftest import api_get

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks", "deploy.yml")
ARTIFACTS = "/v2/local/modules/user-defined/artifacts"
REPO_USER = "ci-reader"
REPO_PASSWORD = "Art1factory-pa55-never-shown"
PACKAGE_PATH = "/artifactory/redis-modules/hello-1.0.0.zip"

pytestmark = pytest.mark.slow


def sha256(path):
    with open(path, "rb") as handle:
        return "sha256:" + hashlib.sha256(handle.read()).hexdigest()


def read_log(run):
    with open(run.log_path) as handle:
        return handle.read()


@pytest.fixture
def two_clusters(emulator_factory):
    return emulator_factory(clusters={"c1": 2, "c2": 2})


@pytest.fixture
def repository(package_server, testmodules):
    server = package_server(username=REPO_USER, password=REPO_PASSWORD)
    server.url = server.publish(PACKAGE_PATH, testmodules.v1["path"])
    return server


def role_vars(emulator, repository, cache, checksum, **item):
    entry = dict(url=repository.url, checksum=checksum, ca_path=repository.ca_file, url_username=REPO_USER,
                 url_password=REPO_PASSWORD)
    entry.update(item)
    admin = emulator.admin
    return {"module_lifecycle_artifacts": [entry], "module_lifecycle_allow_uploads": "temporary",
            "module_lifecycle_package_cache": str(cache),
            "module_lifecycle_username": admin["username"], "module_lifecycle_password": admin["password"],
            "module_lifecycle_ca_path": emulator.ca_file}


def test_a_url_item_deploys_to_two_clusters_with_one_download(ansible_run, two_clusters, repository, testmodules, tmp_path):
    emu = two_clusters
    cache = tmp_path / "cache"
    extra = role_vars(emu, repository, cache, sha256(testmodules.v1["path"]))

    mark = emu.mark()
    check = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra, check=True)
    assert check.rc == 0, check
    assert emu.writes(mark) == []
    assert repository.count(PACKAGE_PATH) == 1, "check mode reads the package's module.json: one download"

    run = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra, verbosity=4)
    assert run.rc == 0, run
    uploads = [w for w in emu.writes(mark) if w["path"] == ARTIFACTS and w["method"] == "POST" and w["status"] == 200]
    assert sorted(w["node"] for w in uploads) == sorted(n["name"] for n in emu.nodes)
    for node in emu.nodes:
        assert api_get(emu, node["name"], ARTIFACTS) == [{"module_name": "hello", "version": 10000, "dependencies": []}]
    for cluster in ("c1", "c2"):
        node = [n["name"] for n in emu.nodes if n["name"].startswith(cluster)][0]
        names = [m["module_name"] for m in api_get(emu, node, "/v1/modules") if not m.get("is_bundled")]
        assert names == ["hello"], (cluster, names)
    assert repository.count(PACKAGE_PATH) == 1, "the cached, verified copy serves every node of both clusters"
    cached = os.path.join(str(cache), "sha256", sha256(testmodules.v1["path"])[7:], "hello-1.0.0.zip")
    assert os.path.isfile(cached)
    assert REPO_PASSWORD not in run.output and REPO_PASSWORD not in read_log(run)
    assert all(r["authorization"] for r in repository.requests)

    mark = emu.mark()
    again = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra, verbosity=4)
    assert again.rc == 0, again
    assert emu.writes(mark) == []
    assert "changed=1" not in again.output and "changed=2" not in again.output, again
    assert repository.count(PACKAGE_PATH) == 1, "a re-run downloads nothing"
    assert REPO_PASSWORD not in again.output and REPO_PASSWORD not in read_log(again)


def test_a_wrong_checksum_fails_before_anything_is_written(ansible_run, emulator, repository, testmodules, tmp_path):
    wrong = "sha256:" + "5" * 64
    mark = emulator.mark()
    run = ansible_run(DEPLOY, inventory=emulator.inventory_path, verbosity=4,
                      extra_vars=role_vars(emulator, repository, tmp_path / "cache", wrong))
    assert run.rc != 0, run
    text = run.flat_output
    assert "Nothing was changed." in text and "checksum mismatch for %s" % repository.url in text, run
    assert wrong in text and sha256(testmodules.v1["path"]) in text, run
    assert emulator.writes(mark) == []
    assert not os.path.exists(str(tmp_path / "cache" / "sha256" / ("5" * 64)))
    assert REPO_PASSWORD not in run.output and REPO_PASSWORD not in read_log(run)


def test_a_repository_that_refuses_the_credentials(ansible_run, emulator, repository, testmodules, tmp_path):
    mark = emulator.mark()
    run = ansible_run(DEPLOY, inventory=emulator.inventory_path, verbosity=4,
                      extra_vars=role_vars(emulator, repository, tmp_path / "cache", sha256(testmodules.v1["path"]),
                                           url_password="Not-" + REPO_PASSWORD))
    assert run.rc != 0, run
    assert "answered HTTP 401" in run.flat_output and "rejected the credentials" in run.flat_output, run
    assert emulator.writes(mark) == []
    assert REPO_PASSWORD not in run.output and REPO_PASSWORD not in read_log(run)


def test_plain_http_is_refused_unless_the_item_allows_it(ansible_run, emulator, testmodules, tmp_path):
    mark = emulator.mark()
    extra = role_vars(emulator, type("Repo", (), {"url": "http://127.0.0.1:9/hello.zip", "ca_file": None})(),
                      tmp_path / "cache", sha256(testmodules.v1["path"]), ca_path=None)
    run = ansible_run(DEPLOY, inventory=emulator.inventory_path, extra_vars=extra)
    assert run.rc != 0, run
    assert "uses plain HTTP" in run.flat_output and "allow_http: true" in run.flat_output, run
    assert emulator.writes(mark) == []


MODULES = """
- name: The modules with download, on every node
  hosts: all
  gather_facts: false
  tasks:
    - name: Register the module object (once)
      redisops.custom_modules.redis_user_module:
        url: "{{ module_lifecycle_node_url }}"
        username: "{{ re_user }}"
        password: "{{ re_password }}"
        ca_path: "{{ re_ca }}"
        allow_uploads: true
        download: "{{ package }}"
      run_once: true
      delegate_to: localhost
      register: created

    - name: Upload the artifact to each node
      redisops.custom_modules.redis_module_artifact:
        url: "{{ module_lifecycle_node_url }}"
        username: "{{ re_user }}"
        password: "{{ re_password }}"
        ca_path: "{{ re_ca }}"
        allow_uploads: true
        download: "{{ package }}"
      delegate_to: localhost
      register: uploaded

    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'created': created, 'uploaded': uploaded} | to_nice_json }}"
        dest: "{{ results }}/{{ inventory_hostname }}.json"
      delegate_to: localhost
"""


def module_vars(emulator, repository, tmp_path, checksum, **extra):
    package = dict(url=repository.url, checksum=checksum, ca_path=repository.ca_file, url_username=REPO_USER,
                   url_password=REPO_PASSWORD, cache_dir=str(tmp_path / "cache"))
    package.update(extra)
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    return {"package": package, "results": str(results), "re_user": emulator.admin["username"],
            "re_password": emulator.admin["password"], "re_ca": emulator.ca_file}


def results_of(extra):
    return dict((name[:-5], json.load(open(os.path.join(extra["results"], name)))) for name in os.listdir(extra["results"]))


def test_the_modules_download_once_for_every_host(ansible_run, emulator, repository, testmodules, tmp_path):
    extra = module_vars(emulator, repository, tmp_path, sha256(testmodules.v1["path"]))
    run = ansible_run(MODULES, inventory=emulator.inventory_path, extra_vars=extra, verbosity=4, args=["--forks", "3"])
    assert run.rc == 0, run
    results = results_of(extra)
    assert sorted(results) == sorted(n["name"] for n in emulator.nodes)
    first = results[sorted(results)[0]]
    assert first["created"]["changed"] and first["created"]["download"]["downloaded"] is True
    assert first["created"]["download"]["url"] == repository.url
    assert all(r["uploaded"]["changed"] for r in results.values())
    assert [r["uploaded"]["download"]["downloaded"] for r in results.values()] == [False] * 3
    assert repository.count(PACKAGE_PATH) == 1
    assert REPO_PASSWORD not in run.output and REPO_PASSWORD not in read_log(run)
    for node in emulator.nodes:
        assert api_get(emulator, node["name"], ARTIFACTS)[0]["module_name"] == "hello"

    mark = emulator.mark()
    again = ansible_run(MODULES, inventory=emulator.inventory_path, extra_vars=extra)
    assert again.rc == 0, again
    results = results_of(extra)
    assert not results[sorted(results)[0]]["created"]["changed"]
    assert [r["uploaded"]["changed"] for r in results.values()] == [False] * 3
    assert emulator.writes(mark) == []
    assert repository.count(PACKAGE_PATH) == 1


@pytest.mark.parametrize("extra, text", [
    (dict(checksum="sha256:" + "7" * 64), "checksum mismatch for"),
    (dict(url_password="wrong"), "rejected the credentials"),
    (dict(checksum="md5:" + "7" * 32), "only sha256 is accepted"),
])
def test_the_modules_fail_before_any_write(ansible_run, emulator, repository, testmodules, tmp_path, extra, text):
    checksum = extra.pop("checksum", sha256(testmodules.v1["path"]))
    variables = module_vars(emulator, repository, tmp_path, checksum, **extra)
    mark = emulator.mark()
    run = ansible_run(MODULES, inventory=emulator.inventory_path, extra_vars=variables, verbosity=4)
    assert run.rc != 0 and text in run.flat_output, run
    assert "Traceback" not in run.output
    assert emulator.writes(mark) == []
    assert REPO_PASSWORD not in run.output and REPO_PASSWORD not in read_log(run)


def test_a_file_that_is_not_a_package_is_named_by_its_url(ansible_run, emulator, package_server, tmp_path):
    page = tmp_path / "index.html"
    page.write_text("<html>moved</html>")
    server = package_server()
    server.url = server.publish("/modules/hello-1.0.0.zip", str(page))
    mark = emulator.mark()
    extra = role_vars(emulator, server, tmp_path / "cache", sha256(str(page)), url_username=None, url_password=None)
    run = ansible_run(DEPLOY, inventory=emulator.inventory_path, extra_vars=extra)
    assert run.rc != 0, run
    assert "Nothing was changed." in run.flat_output, run
    assert "%s (downloaded to " % server.url in run.flat_output and "not a zip" in run.flat_output, run
    assert emulator.writes(mark) == []


def test_run_from_node_uses_the_one_download(ansible_run, two_clusters, repository, testmodules, tmp_path):
    """With run_from: node the modules run on the nodes; the package still comes from the controller's one download."""
    emu = two_clusters
    extra = role_vars(emu, repository, tmp_path / "cache", sha256(testmodules.v1["path"]))
    extra.update(module_lifecycle_run_from="node", module_lifecycle_local_url="{{ module_lifecycle_node_url }}")
    mark = emu.mark()
    run = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra)
    assert run.rc == 0, run
    uploads = [w for w in emu.writes(mark) if w["path"] == ARTIFACTS and w["method"] == "POST" and w["status"] == 200]
    assert sorted(w["node"] for w in uploads) == sorted(n["name"] for n in emu.nodes)
    assert repository.count(PACKAGE_PATH) == 1
    mark = emu.mark()
    again = ansible_run(DEPLOY, inventory=emu.inventory_path, extra_vars=extra)
    assert again.rc == 0 and emu.writes(mark) == [] and repository.count(PACKAGE_PATH) == 1, again
