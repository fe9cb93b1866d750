# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistent emulator state: users, topology, per-cluster CCS (modules, bdbs, settings), per-node artifacts.

Everything lives in the state directory so that `serve` with the same --state-dir restores it.
"""

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
import uuid

from tests.emulator.shapes import DEFAULT_UPLOAD_MAX_SIZE_MB, FINAL_STATUSES

USERS = (
    ("admin@redis.test", "admin"),
    ("viewer@redis.test", "cluster_viewer"),
    ("member@redis.test", "db_member"),
    ("cluster-member@redis.test", "cluster_member"),
    ("db-viewer@redis.test", "db_viewer"),
    ("user-manager@redis.test", "user_manager"),
    ("nobody@redis.test", "none"),
)

ALL_ROLES = ("admin", "cluster_member", "cluster_viewer", "db_member", "db_viewer", "user_manager")
PERMISSIONS = {
    "view_cluster_modules": ALL_ROLES,
    "manage_cluster_modules": ("admin",),
    "view_cluster_info": ALL_ROLES,
    "update_cluster": ("admin",),
    "view_all_nodes_info": ALL_ROLES,
    "view_all_bdbs_info": ALL_ROLES,
    "create_bdb": ("admin", "cluster_member", "db_member"),
    "delete_bdb": ("admin", "cluster_member", "db_member"),
    "update_bdb_with_action": ("admin", "cluster_member", "db_member"),
    "view_status_of_cluster_action": ALL_ROLES,
}

# How long an action (a database upgrade) runs unless the node it was started through says otherwise
# (fault action-time SECONDS).
DEFAULT_ACTION_SECONDS = 0.3

# OS_ID -> node object fields
OS_TABLE = {
    "ubuntu20": ("ubuntu", "ubuntu", "Ubuntu 20.04.6 LTS", "20.04.6"),
    "ubuntu22": ("ubuntu", "ubuntu", "Ubuntu 22.04.4 LTS", "22.04.4"),
    "ubuntu24": ("ubuntu", "ubuntu", "Ubuntu 24.04.1 LTS", "24.04.1"),
    "rhel8": ("rhel", "rhel", "Red Hat Enterprise Linux 8.10 (Ootpa)", "8.10"),
    "rhel9": ("rhel", "rhel", "Red Hat Enterprise Linux 9.4 (Plow)", "9.4"),
    "rocky9": ("rhel", "rocky", "Rocky Linux 9.4 (Blue Onyx)", "9.4"),
    "amzn2": ("amzn", "amzn", "Amazon Linux 2", "2"),
}
ARCHITECTURES = ("x86_64", "aarch64")


def write_json(path, data, private=False):
    """Atomically replace path with data as JSON."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def parse_software_version(text):
    """'8.2.0-25' -> (8, 2, 0)."""
    nums = []
    for part in text.split("-")[0].split("."):
        nums.append(int(part))
    while len(nums) < 3:
        nums.append(0)
    return tuple(nums[:3])


def load_users(state_dir):
    """Users with random passwords, created once per state dir."""
    path = os.path.join(state_dir, "users.json")
    users = read_json(path) or []
    known = {u["username"] for u in users}
    changed = False
    for username, role in USERS:
        if username not in known:
            users.append({"username": username, "password": secrets.token_urlsafe(18), "role": role})
            changed = True
    if changed:
        write_json(path, users, private=True)
    return users


# Redis database versions a node offers, per Redis Enterprise release: (major.minor, full version), oldest first.
# The 8.0 list is the one a node object captured from an 8.0 build gives (tests/fixtures/rs-8.0/node_single.json);
# the 8.2 list is invented: 6.2 dropped, 8.2 -> 8.2.1 added.
DB_VERSIONS_8_0 = (("6.2", "6.2.13"), ("7.2", "7.2.7"), ("7.4", "7.4.2"), ("8.0", "8.0.0"))
DB_VERSIONS_8_2 = DB_VERSIONS_8_0[1:] + (("8.2", "8.2.1"),)


def db_versions(software):
    """The (major.minor, full version) pairs of the Redis databases this software version offers, oldest first."""
    return DB_VERSIONS_8_0 if tuple(software[:2]) < (8, 2) else DB_VERSIONS_8_2


def redis_major_minor(text):
    """'7.4', '7.4.2', '8.0-big' -> (7, 4), (7, 4), (8, 0); None when it is not such a version."""
    match = re.match(r"^\s*(\d+)(?:\.(\d+)(?:[.\-+~].*)?)?\s*$", text) if isinstance(text, str) else None
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def module_fits(mod, db_version):
    """Redis Enterprise's rule (is_redis_version_compatible): a set compatible_redis_version must equal the
    database's major.minor; otherwise min_redis_version's major must match. Neither set: loadable (the server
    has nothing to refuse it by)."""
    compatible = mod.get("compatible_redis_version")
    if isinstance(compatible, str) and compatible.strip():
        return redis_major_minor(compatible) == tuple(db_version)
    minimum = mod.get("min_redis_version")
    if isinstance(minimum, str) and minimum.strip():
        parsed = redis_major_minor(minimum)
        return parsed is not None and parsed[0] == db_version[0]
    return True


BUNDLED_SPEC = {
    # module_name: (display_name, capability_name, description, author, capabilities, config_command)
    "search": ("RediSearch 2", "Search and query", "High performance search index on top of Redis (with clustering)", "RedisLabs",
               ["types", "replica_of", "failover_migrate", "persistence_aof", "persistence_rdb", "clustering", "backup_restore",
                "reshard_rebalance", "flash", "crdb", "eviction_expiry", "hash_policy", "intershard_tls", "intershard_tls_pass", "ipv6"],
               "_FT.CONFIG SET"),
    "ReJSON": ("RedisJSON", "JSON", "Native JSON Data Type for Redis", "Redis Labs",
               ["types", "no_multi_key", "replica_of", "eviction_expiry", "failover_migrate", "flash", "backup_restore",
                "reshard_rebalance", "persistence_aof", "persistence_rdb", "hash_policy", "clustering", "intershard_tls", "crdb",
                "intershard_tls_pass", "ipv6"], ""),
    "timeseries": ("RedisTimeSeries", "Time Series", "A time series database for Redis", "Redis",
                   ["types", "replica_of", "backup_restore", "hash_policy", "eviction_expiry", "failover_migrate", "persistence_aof",
                    "persistence_rdb", "clustering", "reshard_rebalance", "intershard_tls", "intershard_tls_pass", "flash", "ipv6"], ""),
    "bf": ("RedisBloom", "Probabilistic", "Probabilistic Data Structures for Redis", "Redis",
           ["types", "no_multi_key", "replica_of", "eviction_expiry", "failover_migrate", "backup_restore", "reshard_rebalance",
            "persistence_aof", "persistence_rdb", "hash_policy", "clustering", "flash", "intershard_tls", "intershard_tls_pass", "ipv6"], ""),
}
# The order Redis 8 databases list them in module_list (as in a captured 8.0 bdb object).
BUNDLED_ORDER = ("timeseries", "search", "bf", "ReJSON")

# (module_name, semantic_version, compatible_redis_version, min_redis_version). The first four of each module are the
# versions a captured 8.0 build lists (note search without compatible_redis_version: min_redis_version decides);
# the 8.2 versions are invented. 8.0 mode offers the first four of each, 8.2 and later the last four.
BUNDLED_VERSIONS = (
    ("bf", "2.4.15", "6.2", "6.0"), ("bf", "2.6.18", "7.2", "7.1"), ("bf", "2.8.7", "7.4", "7.4"),
    ("bf", "8.0.1", "8.0", "7.4"), ("bf", "8.2.0", "8.2", "8.2"),
    ("search", "2.6.29", "", "6.0.7"), ("search", "2.8.26", "", "7.1"), ("search", "2.10.17", "7.4", "7.4"),
    ("search", "7.99.91", "8.0", "8.0"), ("search", "8.2.1", "8.2", "8.2"),
    ("ReJSON", "2.4.13", "6.2", "6.0"), ("ReJSON", "2.6.17", "7.2", "7.1"), ("ReJSON", "2.8.10", "7.4", "7.4"),
    ("ReJSON", "7.99.3", "8.0", "7.1"), ("ReJSON", "8.2.0", "8.2", "8.2"),
    ("timeseries", "1.8.18", "6.2", "6.0"), ("timeseries", "1.10.18", "7.2", "7.1"), ("timeseries", "1.12.7", "7.4", "7.4"),
    ("timeseries", "8.0.2", "8.0", "8.0"), ("timeseries", "8.2.0", "8.2", "8.2"),
)


def _bundled_modules(software):
    modules = {}
    for name in BUNDLED_SPEC:
        versions = [v for v in BUNDLED_VERSIONS if v[0] == name]
        versions = versions[:4] if tuple(software[:2]) < (8, 2) else versions[-4:]
        display, cap_name, desc, author, caps, config_command = BUNDLED_SPEC[name]
        for _name, semver, compatible, minimum in versions:
            major, minor, patch = (int(p) for p in semver.split("."))
            version = major * 10000 + minor * 100 + patch
            uid = hashlib.md5(("bundled/%s/%d" % (name, version)).encode()).hexdigest()  # nosec - stable id, not security
            modules[uid] = {
                "uid": uid, "module_name": name, "display_name": display, "capability_name": cap_name, "description": desc,
                "author": author, "email": "redismodules@redis.test", "homepage": "http://redis.io",
                "license": "Redis Source Available License 2.0", "version": version, "semantic_version": semver,
                "min_redis_version": minimum, "compatible_redis_version": compatible,
                "bigstore_version_2_support": False, "capabilities": list(caps), "command_line_args": "",
                "config_command": config_command, "crdb": {}, "dependencies": {}, "is_bundled": True,
            }
    return modules


MODULE_OBJECT_FIELDS = ("uid", "author", "bigstore_version_2_support", "capabilities", "capability_name", "command_line_args",
                        "compatible_redis_version", "config_command", "crdb", "dependencies", "description", "display_name",
                        "email", "homepage", "is_bundled", "license", "min_redis_version", "module_name",
                        "semantic_version", "version")


def module_object(stored):
    """The public module object (no `commands`, no `module_file`, version int) of a stored module."""
    out = {}
    defaults = {"author": "", "bigstore_version_2_support": False, "capabilities": [], "capability_name": "",
                "command_line_args": "", "compatible_redis_version": "", "config_command": "", "crdb": {},
                "dependencies": {}, "description": "", "display_name": "", "email": "", "homepage": "", "license": "",
                "min_redis_version": "", "semantic_version": ""}
    for key in MODULE_OBJECT_FIELDS:
        out[key] = stored.get(key, defaults.get(key))
    deps = out["dependencies"]
    if isinstance(deps, list):
        out["dependencies"] = {d["name"]: {k: v for k, v in d.items() if k != "name"} for d in deps if isinstance(d, dict)}
    return out


class Store(object):
    """All state, guarded by one lock. The topology in DIR/state.json; each cluster's CCS data in DIR/ccs/<cluster>.json
    (a write saves its own cluster's file only: 100 clusters cost no more per write than one); artifacts under
    DIR/nodes/<node>/artifacts/. A state dir of an earlier emulator, which kept every cluster's CCS in state.json, is
    read as well."""

    def __init__(self, state_dir, topology, software_version, upload_max_size_mb=DEFAULT_UPLOAD_MAX_SIZE_MB,
                 module_fields="full"):
        self.dir = state_dir
        self.lock = threading.RLock()
        self.path = os.path.join(state_dir, "state.json")
        self.ccs_dir = os.path.join(state_dir, "ccs")
        self.software = parse_software_version(software_version)
        self.software_version = software_version
        self.has_upload_flag = self.software >= (8, 2, 0)
        self.module_fields = module_fields
        earlier = (read_json(self.path) or {}).get("clusters", {})   # a 0.1.0 state dir: every cluster in state.json
        self.clusters = {}   # name -> CCS data, saved in DIR/ccs/<name>.json
        for cluster in topology:
            name = cluster["name"]
            old = read_json(self._ccs_path(name)) or earlier.get(name, {})
            self.clusters[name] = {
                "settings": dict({"allow_modules_upload": False, "module_upload_max_size_mb": upload_max_size_mb},
                                 **old.get("settings", {})),
                "modules": old.get("modules", {}),
                "bdbs": old.get("bdbs", {}),
                "next_bdb_uid": old.get("next_bdb_uid", 1),
                "actions": old.get("actions", {}),
                "created_time": old.get("created_time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            }
        self.bundled = _bundled_modules(self.software)
        os.makedirs(self.ccs_dir, exist_ok=True)
        write_json(self.path, {"topology": topology, "software_version": software_version})
        for name in self.clusters:
            self.save(name)

    def _ccs_path(self, cluster):
        return os.path.join(self.ccs_dir, "%s.json" % cluster)

    def save(self, cluster):
        """Write one cluster's CCS data (its file only)."""
        with self.lock:
            write_json(self._ccs_path(cluster), self.clusters[cluster])

    def cluster(self, name):
        return self.clusters[name]

    # --- CCS modules -------------------------------------------------------------------
    def all_modules(self, cluster):
        mods = list(self.bundled.values())
        mods.extend(self.cluster(cluster)["modules"].values())
        return mods

    def add_module(self, cluster, meta):
        with self.lock:
            mods = self.cluster(cluster)["modules"]
            for existing in self.all_modules(cluster):
                if existing["module_name"] == meta["module_name"] and existing["version"] == meta["version"]:
                    return None, existing
            stored = dict(meta)
            stored["uid"] = uuid.uuid4().hex
            stored["is_bundled"] = False
            mods[stored["uid"]] = stored
            self.save(cluster)
            return stored, None

    def bdbs_using(self, cluster, module_name, version=None):
        """Names of databases whose module_list uses module_name (at version, when given)."""
        names = []
        for bdb in self.cluster(cluster)["bdbs"].values():
            for entry in bdb.get("module_list", []):
                if entry["module_name"] == module_name and (version is None or entry.get("_version") == version):
                    names.append(bdb["name"])
                    break
        return sorted(names)

    # --- actions (database upgrades) -----------------------------------------------------
    def tick_actions(self, now=None):
        """Move every running action on by the clock: pending -> active -> completed (the change applied), or the
        outcome a fault queued for it (failed with error_code/error_message, aborted, cancelled: nothing applied)."""
        now = time.time() if now is None else now
        changed = set()
        with self.lock:
            for name, ccs in self.clusters.items():
                for action in ccs["actions"].values():
                    if action["status"] in FINAL_STATUSES:
                        continue
                    elapsed = now - action["_started"]
                    seconds = action["_seconds"]
                    if elapsed >= seconds:
                        bdb = ccs["bdbs"].get(str(action["_bdb_uid"]))
                        outcome = action.get("_outcome")
                        if outcome:
                            action["status"] = outcome["status"]
                            action["_progress"] = round(min(99.0, max(0.0, action["_progress"])), 1)
                            if outcome["status"] == "failed":
                                action["error_code"] = outcome["error_code"]
                                action["error_message"] = outcome["error_message"]
                        else:
                            action["status"] = "completed"
                            action["_progress"] = 100.0
                            if bdb is not None:
                                bdb["module_list"] = action["_module_list"]
                                bdb["redis_version"], bdb["version"] = action["_redis_version"]
                                bdb["_changed_time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
                        if bdb is not None:
                            bdb["status"] = "active"
                        action["_finished"] = now
                    else:
                        status = "pending" if elapsed < seconds * 0.1 else "active"
                        progress = 0.0 if status == "pending" else round(100.0 * elapsed / seconds, 1)
                        if status == action["status"] and progress == action["_progress"]:
                            continue
                        action["status"], action["_progress"] = status, progress
                    changed.add(name)
            for name in sorted(changed):
                self.save(name)

    def running_action(self, cluster, bdb_uid):
        for action in self.cluster(cluster)["actions"].values():
            if action["_bdb_uid"] == bdb_uid and action["status"] not in FINAL_STATUSES:
                return action
        return None

    def has_artifact(self, node_name, module_name, version):
        return os.path.exists(os.path.join(self.artifact_dir(node_name, module_name, version), "artifact.json"))

    # --- artifacts ---------------------------------------------------------------------
    def artifact_root(self, node_name):
        path = os.path.join(self.dir, "nodes", node_name, "artifacts")
        os.makedirs(path, exist_ok=True)
        return path

    def upload_tmp_dir(self, node_name):
        path = os.path.join(self.dir, "nodes", node_name, "incoming")
        os.makedirs(path, exist_ok=True)
        return path

    def list_artifacts(self, node_name):
        root = self.artifact_root(node_name)
        out = []
        for name in sorted(os.listdir(root)):
            mdir = os.path.join(root, name)
            if not os.path.isdir(mdir):
                continue
            for ver in sorted(os.listdir(mdir), key=lambda v: int(v) if v.isdigit() else -1):
                info = read_json(os.path.join(mdir, ver, "artifact.json"))
                if info:
                    out.append({"module_name": info["module_name"], "version": int(info["version"]),
                                "dependencies": list(info.get("dependencies", []))})
        return out

    def artifact_dir(self, node_name, module_name, version):
        return os.path.join(self.artifact_root(node_name), module_name, str(int(version)))

    def delete_artifact(self, node_name, module_name, version):
        path = self.artifact_dir(node_name, module_name, version)
        with self.lock:
            if not os.path.exists(os.path.join(path, "artifact.json")):
                return False
            shutil.rmtree(path)
            parent = os.path.dirname(path)
            if not os.listdir(parent):
                os.rmdir(parent)
            return True
