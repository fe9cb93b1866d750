# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential type in extensions/awx/, injected the way AWX injects a custom credential,
then the collection's deploy and status playbooks run through ansible-runner (AWX's job runner)
against the emulator, for each way of filling the optional fields.

How AWX injects a custom credential (what `inject` below reproduces):
- The Jinja context holds every input the credential has, except text inputs that are empty;
  a boolean field the credential does not have is false. `tower.filename` is added.
- Every `file:` template is rendered and written to a new file in <private_data_dir>/env, also when
  it renders empty; `template` gives `tower.filename`, `template.<id>` gives `tower.filename.<id>`.
- `env:` templates become environment variables of the job.
- `extra_vars:` (keys and values rendered) are dumped to a YAML file in env/ with every string
  tagged !unsafe (Ansible does not template them), passed as `-e @file`.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.integration.conftest import ansible_env

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CREDENTIAL_TYPE = os.path.join(REPO, "extensions", "awx", "credential_type_redis_enterprise_api.yml")

pytestmark = pytest.mark.slow


class _Namespace(object):
    """Attribute bag, like AWX's `tower` namespace."""


class _UnsafeDumper(yaml.SafeDumper):
    """Dumps every string as `!unsafe`, as AWX does with injected extra variables."""

    def represent_data(self, data):
        if isinstance(data, str):
            return self.represent_scalar("!unsafe", data)
        return super(_UnsafeDumper, self).represent_data(data)


def load_credential_type():
    with open(CREDENTIAL_TYPE) as handle:
        return yaml.safe_load(handle)


def inject(cred_type, inputs, private_data_dir):
    """Render cred_type's injectors for a credential with `inputs`, as AWX does.

    Returns (env, cmdline_args, files): the job's environment additions, the ansible-playbook
    arguments (`-e @file`), and {file path: content} of the files written.
    """
    env_dir = os.path.join(private_data_dir, "env")
    os.makedirs(env_dir, exist_ok=True)
    tower = _Namespace()
    context = {"tower": tower}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            context[name] = value
    for field in cred_type["inputs"]["fields"]:
        if field["type"] == "boolean" and field["id"] not in inputs:
            context[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    injectors = cred_type.get("injectors", {})

    files = {}
    for label, template in injectors.get("file", {}).items():
        content = sandbox.from_string(template).render(**context)
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as out:
            out.write(content)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        files[path] = content
        if "." not in label:
            tower.filename = path
        else:
            if not isinstance(getattr(tower, "filename", None), _Namespace):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)

    env = {name: sandbox.from_string(template).render(**context)
           for name, template in injectors.get("env", {}).items()}

    def render(node):
        if isinstance(node, dict):
            return {render(key): render(value) for key, value in node.items()}
        if isinstance(node, list):
            return [render(item) for item in node]
        return sandbox.from_string(node).render(**context)

    args = []
    extra_vars = render(injectors.get("extra_vars", {}))
    if extra_vars:
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as out:
            out.write(yaml.dump(extra_vars, Dumper=_UnsafeDumper))
        os.chmod(path, stat.S_IRUSR)
        args += ["-e", "@%s" % path]
    return env, args, files


def run_job(tmp_path, name, emulator, playbook, inputs, job_vars, job_env=None):
    """A job as AWX runs it: a private data dir, the credential injected, ansible-runner run."""
    pdd = tmp_path / name
    (pdd / "project").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    # A project as docs/docsite/rst/guide_awx.rst describes it: playbooks importing the collection's.
    (pdd / "project" / "job.yml").write_text(
        "---\n- name: Run the collection's %s playbook\n  ansible.builtin.import_playbook: redisops.custom_modules.%s\n"
        % (playbook, playbook))
    shutil.copy(emulator.inventory_path, str(pdd / "inventory" / "hosts.yml"))
    cred_env, args, files = inject(load_credential_type(), inputs, str(pdd))
    job_env = dict(job_env or {})
    job_env.update(cred_env)
    (pdd / "env" / "envvars").write_text(json.dumps(job_env))
    (pdd / "env" / "extravars").write_text(json.dumps(job_vars))
    (pdd / "env" / "cmdline").write_text(" ".join(args))
    (pdd / "env" / "settings").write_text(json.dumps({"suppress_ansible_output": False}))
    base_env = ansible_env(pdd)
    base_env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + base_env.get("PATH", "")
    runner = os.path.join(os.path.dirname(sys.executable), "ansible-runner")
    proc = subprocess.run([runner, "run", str(pdd), "-p", "job.yml", "--ident", "job"], env=base_env,
                          capture_output=True, text=True, check=False, timeout=600)
    with open(str(pdd / "artifacts" / "job" / "stdout")) as handle:
        stdout = handle.read()
    return proc.returncode, stdout + proc.stderr, files


def injected_vars(pdd):
    """The extra variables file the injection wrote, read back the way Ansible reads it."""
    for entry in sorted(os.listdir(os.path.join(pdd, "env"))):
        path = os.path.join(pdd, "env", entry)
        with open(path) as handle:
            text = handle.read()
        if text.startswith("module_lifecycle_") or "!unsafe" in text:
            return yaml.safe_load(text.replace("!unsafe ", ""))
    raise AssertionError("no extra_vars file written")


def test_credential_type_is_valid_for_awx():
    """What AWX checks when the type is saved: field ids, required fields, file labels, and every
    injector template rendering with only the type's own fields and files (undefined names fail)."""
    cred_type = load_credential_type()
    assert set(cred_type) == {"name", "kind", "description", "inputs", "injectors"}
    assert cred_type["kind"] == "cloud"
    fields = cred_type["inputs"]["fields"]
    ids = [field["id"] for field in fields]
    assert len(ids) == len(set(ids))
    assert set(cred_type["inputs"]["required"]) <= set(ids)
    for field in fields:
        assert field["type"] in ("string", "boolean") and field["label"]
    labels = list(cred_type["injectors"].get("file", {}))
    assert all(re.match(r"^template(\.[a-zA-Z_][a-zA-Z0-9_]*)?$", label) for label in labels)
    tower = _Namespace()
    tower.filename = _Namespace()
    for label in labels:
        setattr(tower.filename, label.split(".", 1)[1], "/runner/env/tmpfile")
    context = {field["id"]: (True if field["type"] == "boolean" else "value") for field in fields}
    context["tower"] = tower
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    injectors = cred_type["injectors"]
    templates = list(injectors.get("file", {}).values()) + list(injectors.get("env", {}).values())
    templates += list(injectors.get("extra_vars", {}).keys()) + list(injectors.get("extra_vars", {}).values())
    for template in templates:
        strict.from_string(template).render(**context)
    assert all(re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", name) for name in injectors.get("extra_vars", {}))
    assert not [name for name in injectors.get("env", {}) if name.startswith("ANSIBLE_")]


# Credential inputs besides username/password ("CA" = the emulator's CA), how the execution
# environment trusts the emulator's CA when the credential has none (None: it does not;
# REDIS_ENTERPRISE_CA_PATH: the collection's variable; REQUESTS_CA_BUNDLE: requests' own), outcome.
CASES = [
    pytest.param({"ca_cert": "CA"}, None, "ok", id="ca"),
    pytest.param({"ca_cert": "CA", "skip_tls_verify": False}, None, "ok", id="ca-verify-explicit"),
    pytest.param({"ca_cert": "CA", "skip_tls_verify": True}, None, "ok", id="ca-skip-verify"),
    pytest.param({"ca_cert": ""}, "REDIS_ENTERPRISE_CA_PATH", "ok", id="empty-ca-ee-ca-path"),
    pytest.param({"skip_tls_verify": False}, "REDIS_ENTERPRISE_CA_PATH", "ok", id="no-ca-field-ee-ca-path"),
    pytest.param({"ca_cert": ""}, "REQUESTS_CA_BUNDLE", "ok", id="empty-ca-ee-requests-bundle"),
    pytest.param({"ca_cert": "", "skip_tls_verify": True}, None, "ok", id="empty-ca-skip-verify"),
    pytest.param({}, None, "tls", id="no-ca-untrusted"),
]


@pytest.mark.parametrize("inputs, ee_trust, outcome", CASES)
def test_credential_type_injection(tmp_path, emulator, testmodules, inputs, ee_trust, outcome):
    password = emulator.admin["password"]
    with open(emulator.ca_file) as handle:
        ca_pem = handle.read()
    full = {"username": emulator.admin["username"], "password": password}
    full.update({key: (ca_pem if value == "CA" else value) for key, value in inputs.items()})
    job_env = {ee_trust: emulator.ca_file} if ee_trust else {}
    job_vars = {"module_lifecycle_artifacts": [{"src": testmodules.v1["path"]}],
                "module_lifecycle_allow_uploads": "temporary"}

    mark = emulator.mark()
    rc, out, files = run_job(tmp_path, "deploy", emulator, "deploy", full, job_vars, job_env)

    # What AWX would have injected: the CA file always exists; its path is passed only with content.
    assert len(files) == 1
    ca_file, ca_content = list(files.items())[0]
    injected = injected_vars(str(tmp_path / "deploy"))
    assert injected["module_lifecycle_ca_path"] == (ca_file if full.get("ca_cert") else "")
    assert ca_content == full.get("ca_cert", "")
    assert injected["module_lifecycle_validate_certs"] == ("false" if full.get("skip_tls_verify") else "true")
    assert password not in out

    if outcome == "ok":
        assert rc == 0, out
        assert "nodes ready 3/3" in out, out
        assert "restored to false" in out, out
        posts = [(r["method"], r["path"]) for r in emulator.writes(mark) if r["method"] == "POST"]
        assert ("POST", "/v2/modules/user-defined") in posts, posts
        assert len([p for p in posts if p[1] == "/v2/local/modules/user-defined/artifacts"]) == 3, posts
        if full.get("skip_tls_verify"):
            assert "not authenticated" in out or "validate_certs" in out, out
        status_vars = {"module_lifecycle_status_fail_on_drift": True}
        mark = emulator.mark()
        rc, out, _files = run_job(tmp_path, "status", emulator, "status", full, status_vars, job_env)
        assert rc == 0, out
        assert "hello" in out, out
        assert password not in out
        assert emulator.writes(mark) == []
    else:
        # No CA anywhere: the job fails on TLS verification before any write, and says what to do
        # (not "no certificate or crl found", which an empty CA file would cause).
        assert rc != 0, out
        assert "ca_path" in out and "Nothing was changed" in out, out
        assert "no certificate or crl found" not in out
        assert emulator.writes(mark) == []


def test_status_fails_when_no_node_can_be_read(tmp_path, emulator):
    """No CA given and none trusted: every read fails TLS verification; the scheduled job must go red."""
    full = {"username": emulator.admin["username"], "password": emulator.admin["password"]}
    rc, out, _files = run_job(tmp_path, "status", emulator, "status", full, {}, {})
    assert emulator.admin["password"] not in out
    assert rc != 0, out
    assert "The status report is incomplete" in out, out
