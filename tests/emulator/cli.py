# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: serve, inventory, fault, stop."""

import argparse
import ipaddress
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

from tests.emulator.certs import ensure_ca, issue_node_cert
from tests.emulator.shapes import DEFAULT_UPLOAD_MAX_SIZE_MB, MODULE_LIST_FIELDS
from tests.emulator.state import ARCHITECTURES, OS_TABLE, Store, load_users, read_json, write_json

# fault action -> (fewest, most) arguments
FAULT_ACTIONS = {"down": (0, 0), "up": (0, 0), "fail-503": (1, 1), "slow": (1, 1), "drop-upload": (0, 0), "action-time": (1, 1),
                 "fail-upgrade": (0, 2), "abort-upgrade": (0, 0), "cancel-upgrade": (0, 0), "enforce-upload-limit": (0, 1),
                 "clear": (0, 0)}


def _cluster_arg(text):
    name, sep, count = text.partition(":")
    if not sep or not name or not count.isdigit() or int(count) < 1:
        raise argparse.ArgumentTypeError("expected NAME:NODES, e.g. c1:3")
    if not all(c.isalnum() or c in "-_" for c in name):
        raise argparse.ArgumentTypeError("cluster name %r: use letters, digits, '-' and '_'" % name)
    return name, int(count)


def _pair_arg(text):
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise argparse.ArgumentTypeError("expected NODE=VALUE")
    return key, value


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description="Redis Enterprise REST API emulator (custom modules)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator in the foreground")
    serve.add_argument("--cluster", action="append", type=_cluster_arg, required=True, metavar="NAME:NODES")
    serve.add_argument("--state-dir", required=True)
    serve.add_argument("--ready-file")
    serve.add_argument("--port", type=int, default=9443)
    serve.add_argument("--address-base", default="127.0.0.10")
    serve.add_argument("--software-version", default="8.2.0-25")
    serve.add_argument("--node-os", action="append", type=_pair_arg, default=[], metavar="NODE=OS_ID")
    serve.add_argument("--node-arch", action="append", type=_pair_arg, default=[], metavar="NODE=ARCH")
    serve.add_argument("--module-upload-max-size-mb", type=int, default=DEFAULT_UPLOAD_MAX_SIZE_MB, metavar="MB",
                       help="the clusters' module_upload_max_size_mb (default %(default)s, as captured from an 8.0 "
                            "cluster; 0: the field is absent); enforced on artifact uploads only by the "
                            "enforce-upload-limit fault")
    serve.add_argument("--bdb-module-fields", choices=sorted(MODULE_LIST_FIELDS), default="full",
                       help="which module_list entry fields databases report: full (module_args, module_id, module_name, "
                            "semantic_version), or without the ones deprecated since 7.8.2")
    serve.add_argument("--legacy-ca", action="store_true",
                       help="create the test CA without a keyUsage extension, as many older self-made CAs are: Python "
                            "3.13+ refuses it by default (VERIFY_X509_STRICT); only when the state dir has no CA yet")
    inv = sub.add_parser("inventory", help="print an Ansible YAML inventory of the nodes")
    inv.add_argument("--state-dir", required=True)
    fault = sub.add_parser("fault", help="inject or clear a fault on a running node")
    fault.add_argument("--state-dir", required=True)
    fault.add_argument("--node", required=True)
    fault.add_argument("action", choices=sorted(FAULT_ACTIONS))
    fault.add_argument("args", nargs="*")
    stop = sub.add_parser("stop", help="stop the emulator running on a state dir")
    stop.add_argument("--state-dir", required=True)
    stop.add_argument("--timeout", type=float, default=20.0)
    return parser


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def topology(args):
    """Clusters -> nodes with addresses, following docs/design.md."""
    try:
        base = [int(x) for x in str(ipaddress.IPv4Address(args.address_base)).split(".")]
    except ValueError:
        raise SystemExit("error: --address-base must be an IPv4 address") from None
    node_os = dict(args.node_os)
    node_arch = dict(args.node_arch)
    clusters, nodes = [], []
    for k, (name, count) in enumerate(args.cluster):
        if any(c["name"] == name for c in clusters):
            raise SystemExit("error: cluster %r given twice" % name)
        third = base[2] + k
        if third > 255 or base[3] + count > 254:
            raise SystemExit("error: --address-base %s leaves no room for cluster %s with %d nodes" % (args.address_base, name, count))
        cluster = {"name": name, "nodes": []}
        for j in range(1, count + 1):
            node_name = "%s-node%d" % (name, j)
            address = "%d.%d.%d.%d" % (base[0], base[1], third, base[3] + j)
            os_id = node_os.pop(node_name, "ubuntu22")
            arch = node_arch.pop(node_name, "x86_64")
            if os_id not in OS_TABLE:
                raise SystemExit("error: --node-os %s=%s: known OS ids are %s" % (node_name, os_id, ", ".join(sorted(OS_TABLE))))
            if arch not in ARCHITECTURES:
                raise SystemExit("error: --node-arch %s=%s: known architectures are %s" % (node_name, arch, ", ".join(ARCHITECTURES)))
            spec = {"cluster": name, "uid": j, "name": node_name, "address": address, "port": args.port,
                    "os_id": os_id, "architecture": arch}
            nodes.append(spec)
            cluster["nodes"].append({"name": node_name, "uid": j, "address": address,
                                     "url": "https://%s:%d" % (address, args.port), "os": os_id, "architecture": arch})
        clusters.append(cluster)
    unknown = sorted(set(node_os) | set(node_arch))
    if unknown:
        raise SystemExit("error: --node-os/--node-arch name unknown nodes: %s" % ", ".join(unknown))
    return clusters, nodes


def serve(args):
    # imported here so that `inventory`, `fault` and `stop` stay light
    from tests.emulator.server import Emulator  # pylint: disable=import-outside-toplevel

    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    ready_path = os.path.join(state_dir, "ready.json")
    old = read_json(ready_path)
    if old and old.get("pid") and old["pid"] != os.getpid() and _pid_alive(old["pid"]):
        sys.stderr.write("error: an emulator (pid %d) already serves %s\n" % (old["pid"], state_dir))
        return 2
    for path in (ready_path, args.ready_file):
        if path and os.path.exists(path):
            os.unlink(path)
    clusters, nodes = topology(args)
    store = Store(state_dir, clusters, args.software_version, upload_max_size_mb=args.module_upload_max_size_mb or None,
                  module_fields=args.bdb_module_fields)
    users = load_users(state_dir)
    ca_cert, ca_key, ca_file = ensure_ca(state_dir, legacy=args.legacy_ca)
    certs = {n["name"]: issue_node_cert(state_dir, ca_cert, ca_key, n["name"], n["address"]) for n in nodes}
    emulator = Emulator(state_dir, store, users, nodes, ca_file, certs)
    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        emulator.start()
    except OSError as exc:
        sys.stderr.write("error: cannot listen: %s (is another emulator using these addresses? try --address-base)\n" % exc)
        emulator.shutdown()
        return 2
    doc = emulator.ready_document()
    # The state dir's copy first: whoever waits for --ready-file may then use any command that
    # reads the state dir (inventory, fault, stop).
    for path in (ready_path, args.ready_file):
        if path:
            write_json(path, doc, private=True)
    sys.stderr.write("emulator ready: %d cluster(s), %d node(s), state dir %s, control %s\n"
                     % (len(clusters), len(nodes), state_dir, emulator.control_url))
    sys.stderr.flush()
    while not stop.wait(0.1):
        pass
    emulator.shutdown()
    for path in (ready_path, args.ready_file):
        if path and os.path.exists(path):
            os.unlink(path)
    sys.stderr.write("emulator stopped\n")
    return 0


def _yaml_str(value):
    return json.dumps(value)


def inventory(args):
    state = read_json(os.path.join(args.state_dir, "state.json"))
    if not state:
        sys.stderr.write("error: no emulator state in %s (run serve first)\n" % args.state_dir)
        return 2
    lines = ["all:", "  vars:", "    ansible_connection: local",
             "    ansible_python_interpreter: %s" % _yaml_str("{{ ansible_playbook_python }}"), "  children:"]
    for cluster in state["topology"]:
        lines += ["    %s:" % _yaml_str(cluster["name"]), "      hosts:"]
        for node in cluster["nodes"]:
            lines += ["        %s:" % _yaml_str(node["name"]),
                      "          ansible_host: %s" % _yaml_str(node["address"]),
                      "          module_lifecycle_cluster: %s" % _yaml_str(cluster["name"]),
                      "          module_lifecycle_node_url: %s" % _yaml_str(node["url"])]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def fault(args):
    ready = read_json(os.path.join(args.state_dir, "ready.json"))
    if not ready:
        sys.stderr.write("error: no running emulator in %s (ready.json missing)\n" % args.state_dir)
        return 2
    fewest, most = FAULT_ACTIONS[args.action]
    if not fewest <= len(args.args) <= most:
        sys.stderr.write("error: %s takes %s argument(s)\n" % (args.action, fewest if fewest == most else "%d to %d" % (fewest, most)))
        return 2
    body = json.dumps({"node": args.node, "action": args.action, "args": args.args}).encode()
    req = urllib.request.Request(ready["control_url"] + "/fault", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # nosec - loopback control URL
            sys.stdout.write(resp.read().decode() + "\n")
        return 0
    except urllib.error.HTTPError as exc:
        sys.stderr.write("error: %s\n" % exc.read().decode(errors="replace"))
    except OSError as exc:
        sys.stderr.write("error: control server unreachable: %s\n" % exc)
    return 1


def stop_cmd(args):
    ready_path = os.path.join(args.state_dir, "ready.json")
    ready = read_json(ready_path)
    if not ready:
        sys.stderr.write("no running emulator in %s\n" % args.state_dir)
        return 0
    pid = ready["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        os.unlink(ready_path)
        return 0
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        if not os.path.exists(ready_path) or not _pid_alive(pid):
            return 0
        time.sleep(0.1)
    sys.stderr.write("error: emulator pid %d did not stop within %.0f s\n" % (pid, args.timeout))
    return 1


def main(argv=None):
    args = build_parser().parse_args(argv)
    handler = {"serve": serve, "inventory": inventory, "fault": fault, "stop": stop_cmd}[args.command]
    return handler(args)
