# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The objects the emulator serves, shaped as a real Redis Enterprise 8.0 cluster answers.

Each object starts from a copy of a captured answer (tests/fixtures/rs-8.0, see its README) and the emulator's
own state is laid over it: the field names, JSON types and the fields the emulator has no use for are those of
the capture. Values that describe this emulator (names, addresses, versions, modules, databases) are its own.
"""

import copy
import json
import os
import time

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "rs-8.0")
_CACHE = {}


def captured(name):
    """A deep copy of a captured answer (``cluster``, ``node_single``, ``bdb_single``, ``actions_list``, ...)."""
    if name not in _CACHE:
        with open(os.path.join(FIXTURES, name + ".json")) as handle:
            _CACHE[name] = json.load(handle)
    return copy.deepcopy(_CACHE[name])


# The cluster setting that a captured 8.0 cluster reports (not documented; whether it limits artifact uploads is
# unknown: the emulator enforces it only under the enforce-upload-limit fault).
DEFAULT_UPLOAD_MAX_SIZE_MB = 40


def cluster_object(name, created_time, port, settings, has_upload_flag):
    """``GET /v1/cluster``: the captured object with this cluster's name, times, port and upload settings.

    ``module_upload_max_size_mb`` is left out when the setting is None (a server without it); ``allow_modules_upload``
    is there only on 8.2 and later (``has_upload_flag``), as in the documentation of the latest cluster object.
    """
    obj = captured("cluster")
    obj.update(name=name, created_time=created_time, cnm_https_port=port)
    limit = settings.get("module_upload_max_size_mb", DEFAULT_UPLOAD_MAX_SIZE_MB)
    if limit is None:
        obj.pop("module_upload_max_size_mb", None)
    else:
        obj["module_upload_max_size_mb"] = limit
    if has_upload_flag:
        obj["allow_modules_upload"] = bool(settings.get("allow_modules_upload", False))
    return obj


def node_object(fields):
    """``GET /v1/nodes/<uid>``: the captured node with this node's ``fields`` laid over it."""
    obj = captured("node_single")
    obj.update(fields)
    return obj


# module_list entry fields a server may leave out (both marked deprecated since 7.8.2 in the bdb object reference):
# the emulator's --bdb-module-fields option chooses which ones it still sends.
MODULE_LIST_FIELDS = {
    "full": ("module_args", "module_id", "module_name", "semantic_version"),
    "no-semantic-version": ("module_args", "module_id", "module_name"),
    "name-only": ("module_args", "module_name"),
}


def bdb_object(bdb, module_fields="full"):
    """``GET /v1/bdbs/<uid>``: the captured database with this database's state laid over it.

    Internal keys (leading ``_``) stay out, as do the module_list fields ``module_fields`` leaves out.
    """
    obj = captured("bdb_single")
    keep = MODULE_LIST_FIELDS[module_fields]
    for key, value in bdb.items():
        if key.startswith("_") or key == "module_list":
            continue
        obj[key] = value
    obj["module_list"] = [dict((k, v) for k, v in entry.items() if k in keep) for entry in bdb.get("module_list", [])]
    obj["shard_list"] = list(range(1, int(bdb.get("shards_count", 1)) + 1))
    for endpoint in obj.get("endpoints") or []:
        endpoint["port"] = bdb.get("port")
        endpoint["dns_name"] = "redis-%s.%s" % (bdb.get("port"), bdb.get("_cluster_dns", "cluster.redis.test"))
        endpoint["addr"] = list(bdb.get("_endpoint_addr") or endpoint.get("addr") or [])
        endpoint["uid"] = "%s:1" % bdb.get("uid")
    obj["authentication_admin_pass"] = bdb.get("_admin_pass", "")
    obj["last_changed_time"] = bdb.get("_changed_time", bdb.get("created_time"))
    return obj


# Terminal statuses of an action (the action object reference: completed, failed, aborted, cancelled).
FINAL_STATUSES = ("completed", "failed", "aborted", "cancelled")


def progress_text(value):
    """``progress`` as the server writes it: a string of the percentage, ``"100"``, ``"42.5"``."""
    value = round(float(value), 1)
    return "%d" % value if value == int(value) else "%.1f" % value


def action_object(action):
    """``GET /v1/actions/<uid>``: the fields of an action entry of the captured ``GET /v1/actions`` (``action_uid``,
    ``creation_time`` as a string of epoch seconds, ``name``, ``node_uid``, ``progress`` as a string, ``status``,
    ``task_id``), ``object_name``, and ``error_code``/``error_message`` once it failed."""
    obj = {"action_uid": action["action_uid"], "creation_time": "%d" % int(action["_started"]), "name": action["name"],
           "node_uid": action["node_uid"], "object_name": action["object_name"],
           "progress": progress_text(action["_progress"]), "status": action["status"], "task_id": action["action_uid"]}
    for key in ("error_code", "error_message"):
        if key in action:
            obj[key] = action[key]
    return obj


def state_machine_object(action):
    """An entry of ``"state-machines"`` in ``GET /v1/actions`` (the captured fields: action_uid, heartbeat as an
    integer of epoch seconds, name, object_name, status)."""
    return {"action_uid": action["action_uid"], "heartbeat": int(action.get("_finished") or time.time()),
            "name": action["_state_machine"], "object_name": action["object_name"], "status": action["status"]}


def actions_list(actions):
    """``GET /v1/actions``: the captured envelope ``{"actions": [...], "state-machines": [...]}``. A database upgrade is
    a state machine of its database; its action entry is listed too, so that both views know its uid."""
    ordered = sorted(actions, key=lambda a: a["_started"])
    return {"actions": [action_object(a) for a in ordered], "state-machines": [state_machine_object(a) for a in ordered]}
