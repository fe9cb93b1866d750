# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A refused URL sends nothing: a plain TCP listener counts the connections it accepts.

Each module, the role (deploy.yml) and the status playbook get url=http://127.0.0.1:<listener port>
and must fail with a message saying why and what to do, without a single connection and without
the password in the output or the log. With allow_http the listener does see the request, and the
run warns that the password travelled in clear text.
"""

import os
import socket
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "playbooks")
DEPLOY = os.path.join(PLAYBOOKS, "deploy.yml")
STATUS = os.path.join(PLAYBOOKS, "status.yml")

PASSWORD = "Cl34r-T3xt-Must-Not-Leak"
USERNAME = "admin@example.com"
REFUSED = "uses plain HTTP"
SUGGESTION = "https://127.0.0.1:9443"
CLEAR_TEXT_WARNING = "the password travels in clear text"

pytestmark = pytest.mark.slow


class Listener(object):
    """A TCP listener on a loopback port that counts accepted connections and keeps what they sent.

    With ``answer``, each connection gets that HTTP response and is closed; otherwise it is closed
    as soon as the request head has arrived (or after 2 s).
    """

    def __init__(self, answer=None):
        self.answer = answer
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.received = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def connections(self):
        with self._lock:
            return len(self.received)

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.received.append(b"")
                index = len(self.received) - 1
            conn.settimeout(2)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if self.answer:
                    conn.sendall(self.answer)
            except OSError:
                pass
            finally:
                conn.close()
            with self._lock:
                self.received[index] = data

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def read_log(run):
    if not os.path.exists(run.log_path):
        return ""
    with open(run.log_path) as handle:
        return handle.read()


def assert_refused(run, target):
    assert run.rc != 0, run
    assert target.connections == 0, (target.received, run)
    assert REFUSED in run.output and SUGGESTION in run.output and "Nothing was sent" in run.output, run
    assert "Traceback" not in run.output, run
    assert PASSWORD not in run.output
    assert PASSWORD not in read_log(run)


def module_play(module, args):
    lines = ["- name: One module against a plain-HTTP URL", "  hosts: localhost", "  connection: local",
             "  gather_facts: false", "  tasks:", "    - name: Run %s" % module,
             "      redisops.custom_modules.%s:" % module]
    lines += ["        %s: %s" % (key, value) for key, value in sorted(args.items())]
    if not args:
        lines[-1] += " {}"
    return "\n".join(lines) + "\n"


def module_args(module, testmodules):
    if module == "redis_user_module":
        return {"artifact": testmodules.v1["path"]}
    if module == "redis_module_artifact":
        return {"src": testmodules.v1["path"], "allow_uploads": "true"}
    if module == "redis_cluster_upload_gate":
        return {"allowed": "true"}
    return {}


MODULES = ["redis_user_module_info", "redis_module_artifact_info", "redis_user_module", "redis_module_artifact",
           "redis_cluster_upload_gate"]


@pytest.mark.parametrize("module", MODULES)
def test_module_refuses_http_url_from_the_task(ansible_run, listener, testmodules, module):
    """url in the task: the action plugins (where there is one) refuse before even reading the package."""
    target = listener()
    args = module_args(module, testmodules)
    args.update(url=target.url, username=USERNAME, password=PASSWORD)
    run = ansible_run(module_play(module, args), verbosity=3)
    assert_refused(run, target)


@pytest.mark.parametrize("module", MODULES)
def test_module_refuses_http_url_from_the_environment(ansible_run, listener, testmodules, module):
    """url from REDIS_ENTERPRISE_URL: only the module sees it, and refuses it."""
    target = listener()
    run = ansible_run(module_play(module, module_args(module, testmodules)), verbosity=3,
                      env={"REDIS_ENTERPRISE_URL": target.url, "REDIS_ENTERPRISE_USERNAME": USERNAME,
                           "REDIS_ENTERPRISE_PASSWORD": PASSWORD})
    assert_refused(run, target)


@pytest.mark.parametrize("url, words", [
    ("ftp://127.0.0.1:{port}", "has the scheme ftp"),
    ("127.0.0.1:{port}", "has no scheme"),
    ("https://127.0.0.1:{port}/?debug=1", "has a query"),
    ("https://127.0.0.1:{port}#x", "has a fragment"),
    ("https://:{port}", "names no host"),
])
def test_module_refuses_other_bad_urls(ansible_run, listener, url, words):
    target = listener()
    args = dict(url=url.format(port=target.port), username=USERNAME, password=PASSWORD)
    run = ansible_run(module_play("redis_user_module_info", args), verbosity=3)
    assert run.rc != 0, run
    assert target.connections == 0, target.received
    assert words in run.output and "Nothing was sent" in run.output, run
    assert PASSWORD not in run.output


def role_inventory(tmp_path, url):
    path = tmp_path / "inventory.yml"
    lines = ["all:", "  vars:", "    ansible_connection: local",
             "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"", "  hosts:"]
    for name in ("node1", "node2"):
        lines += ["    %s:" % name, "      module_lifecycle_cluster: c1", "      module_lifecycle_node_url: %s" % url]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def role_vars(testmodules, **extra):
    data = {"module_lifecycle_artifacts": [{"src": testmodules.v1["path"]}],
            "module_lifecycle_username": USERNAME, "module_lifecycle_password": PASSWORD,
            "module_lifecycle_allow_uploads": "temporary"}
    data.update(extra)
    return data


def test_role_deploy_refuses_http_node_url(ansible_run, listener, testmodules, tmp_path):
    target = listener()
    run = ansible_run(DEPLOY, inventory=role_inventory(tmp_path, target.url), verbosity=3,
                      extra_vars=role_vars(testmodules))
    assert_refused(run, target)


def test_status_playbook_refuses_http_node_url(ansible_run, listener, testmodules, tmp_path):
    # The report lists unreadable clusters and nodes with their error, and the run fails: a report
    # that read nothing must not look green (no module_lifecycle_status_fail_on_drift needed).
    target = listener()
    run = ansible_run(STATUS, inventory=role_inventory(tmp_path, target.url), verbosity=3,
                      extra_vars=role_vars(testmodules))
    assert_refused(run, target)
    assert "The status report is incomplete" in run.output, run
    assert "cannot read the module objects: url %s uses plain HTTP" % target.url in run.output, run
    assert "UNREADABLE node1: url %s uses plain HTTP" % target.url in run.output, run


# ------------------------------------------------------------------ with the opt-in

EMPTY_LIST = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
              b"Connection: close\r\n\r\n[]")


def test_allow_http_connects_and_warns(ansible_run, listener):
    target = listener(answer=EMPTY_LIST)
    args = dict(url=target.url, username=USERNAME, password=PASSWORD, allow_http="true")
    run = ansible_run(module_play("redis_user_module_info", args))
    assert run.rc == 0, run
    assert target.connections == 1, target.received
    assert target.received[0].startswith(b"GET /v1/modules HTTP/1.1\r\n")
    assert b"Authorization: Basic " in target.received[0]  # what the warning is about
    assert run.flat_output.count(CLEAR_TEXT_WARNING) == 1, run
    assert PASSWORD not in run.output


def test_role_passes_allow_http_to_the_modules(ansible_run, listener, testmodules, tmp_path):
    target = listener(answer=EMPTY_LIST)
    run = ansible_run(STATUS, inventory=role_inventory(tmp_path, target.url),
                      extra_vars=role_vars(testmodules, module_lifecycle_allow_http=True))
    # Whatever the report makes of empty answers, the requests went out, and each said so.
    assert target.connections >= 1, run
    assert CLEAR_TEXT_WARNING in run.flat_output, run
    assert PASSWORD not in run.output


# ------------------------------------------------------------------ validate_certs: false

def test_validate_certs_false_warns_once_per_task(ansible_run, emulator, testmodules):
    """An upload takes several requests (cluster, nodes, artifacts, the POST): still one warning for the task."""
    conn = emulator.conn()
    mark = emulator.mark()
    args = dict(url=conn["url"], username=conn["username"], password=conn["password"], validate_certs="false",
                src=testmodules.v1["path"], allow_uploads="true")
    run = ansible_run(module_play("redis_module_artifact", args))
    assert run.rc == 0, run
    requests_sent = emulator.requests(mark)
    assert len(requests_sent) >= 3, requests_sent
    assert any(r["method"] == "POST" for r in requests_sent), requests_sent
    assert run.output.count("validate_certs is false") == 1, run
    assert "not authenticated" in run.output
    assert conn["password"] not in run.output
