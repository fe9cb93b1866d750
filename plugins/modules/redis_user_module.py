#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_user_module
short_description: Manage the cluster-wide object of a custom (user-defined) Redis module on Redis Enterprise
version_added: 0.1.0
description:
  - Creates or deletes the cluster-wide object of a custom Redis module in the cluster configuration store (CCS) of a
    Redis Enterprise Software 8.x cluster, with C(POST /v2/modules/user-defined) and C(DELETE /v2/modules/user-defined/<uid>).
  - This object is what databases reference in their C(module_list). The module binary itself (the artifact) must also be
    present on every node; manage that with M(redisops.custom_modules.redis_module_artifact).
  - The metadata comes from the module package's C(module.json) (O(artifact)), which is the source of truth, or from
    O(metadata). O(artifact) is a path on the controller by default; an action plugin reads and checks the package
    there and passes only its metadata to the module, so nothing is copied to the managed host.
  - Idempotent. The module reads C(GET /v1/modules) and looks for the user-defined (not bundled) object with the same
    C(module_name) and numeric C(version). When it exists and matches, nothing is changed.
  - A module version is immutable. When an object with the same C(module_name) and C(version) exists with different
    metadata, the module fails and lists the differing fields, unless O(force=true).
  - Only fields that both the desired metadata and the server's object contain are compared. The server does not return
    C(commands), and it rewrites C(dependencies), C(crdb), C(platforms) and C(sha256), so these fields are never compared.
  - Before it creates the object (never on a run that changes nothing), the module reads the Redis database versions the
    cluster offers (C(supported_database_versions) of each node in C(GET /v1/nodes)) and fails, before anything is
    sent, when none of them could load the module (see O(check_redis_version)).
  - Runs once per cluster; any node's API can be used. Use C(run_once) or target a single host per cluster.
author:
  - redisops maintainers (@redisops)
extends_documentation_fragment:
  - redisops.custom_modules._connection
  - redisops.custom_modules._download
  - redisops.custom_modules._attributes
  - redisops.custom_modules._attributes.ACTIONGROUP_REDIS
attributes:
  check_mode:
    support: full
    details:
      - No write request is sent in check mode; C(changed) and the returned values predict the real run.
  diff_mode:
    support: full
    details:
      - The diff shows the module object before and after (an empty dictionary when it does not exist).
options:
  state:
    description:
      - V(present) creates the module object when it does not exist.
      - V(absent) deletes it when it exists. It is refused, and nothing is deleted, while a database uses the module.
    type: str
    choices: [present, absent]
    default: present
  artifact:
    description:
      - Path to the module package (a RAMP zip with C(module.json) and the C(.so)). Its C(module.json) supplies the metadata
        (O(state=present)) or the identity (O(state=absent)).
      - A path on the controller, resolved like C(ansible.builtin.copy) resolves O(ignore:src) (a role's C(files/)
        directory is searched) and decrypted when it is vault-encrypted; with O(remote_src=true), a path on the managed host.
      - The package is checked before anything is sent, by the same rules as
        O(redisops.custom_modules.redis_module_artifact#module:src) of M(redisops.custom_modules.redis_module_artifact)
        (the rules Redis Enterprise applies to a package - file layout, C(module_file), C(architecture), C(version),
        C(operating_systems), dependencies, a safe C(module_name)).
      - Mutually exclusive with O(metadata) and O(module_name).
    type: path
  remote_src:
    description:
      - When V(true), O(artifact) is a path on the managed host and the module reads it there.
      - When V(false), O(artifact) is read on the controller.
      - Has no effect without O(artifact).
    type: bool
    default: false
  metadata:
    description:
      - The module object to create, in the format of C(module.json).
      - It needs at least C(module_name), C(version), C(semantic_version), C(display_name), C(commands),
        C(command_line_args), C(capabilities) and C(min_redis_version). Other C(module.json) fields are sent as they are.
      - C(version) is read the way Redis Enterprise reads C(module.json), C(int(float(version))), and sent as that
        integer, so V(10000), V(10000.0) (as written by Redis' packer) and V("10000") are all 10000; it must be positive.
      - C(module_name) must be a safe name (see O(module_name)).
      - With O(state=absent), only C(module_name) and C(version) are used.
      - Mutually exclusive with O(artifact) and O(module_name).
    type: dict
  module_name:
    description:
      - Name of the module to delete (the C(module_name) in C(module.json), for example V(hello)).
      - Only with O(state=absent), together with O(version) or O(semantic_version).
      - Mutually exclusive with O(artifact) and O(metadata).
      - A name with C(/), C(\), NUL or other control characters, whitespace, that is C(.) or C(..), or longer than 128
        characters is refused before any request; the same rule applies to C(module_name) in O(metadata) and in a
        package.
    type: str
  version:
    description:
      - Numeric version of the module to delete, for example V(10000) for C(1.0.0).
      - Used with O(module_name). When O(semantic_version) is also given, both must match.
    type: int
  semantic_version:
    description:
      - Semantic version of the module to delete, for example V(1.0.0).
      - Used with O(module_name), instead of or in addition to O(version).
    type: str
  force:
    description:
      - When an object with the same C(module_name) and C(version) exists with different metadata, replace it (delete, then
        create) instead of failing.
      - The replacement is refused, and nothing is deleted, while a database uses the module.
      - Only with O(state=present).
    type: bool
    default: false
  check_redis_version:
    description:
      - Before the module object is created, compare the package's C(compatible_redis_version) and
        C(min_redis_version) with the Redis database versions the cluster offers (C(supported_database_versions) in
        C(GET /v1/nodes)), and fail before anything is sent when none of them could load the module.
      - Redis Enterprise's rule is used. When C(compatible_redis_version) is set, it must equal a database's Redis
        version (major.minor, for example V(8.2)). Otherwise the major version of C(min_redis_version) must match.
      - When the package sets neither field, a warning is issued and the object is created.
        When the cluster does not list its database versions, the same happens.
      - Set to V(false) to skip this check, for example to register a module built for the Redis version of a
        cluster upgrade that is still to come. No database can use the module before then.
      - Only used with O(state=present).
    type: bool
    default: true
  allow_uploads:
    description:
      - When the module object must be created and the cluster's C(allow_modules_upload) setting is V(false)
        (Redis Enterprise 8.2 and later refuse uploads with HTTP 403 C(modules_upload_disabled) by default), set it to
        V(true) first with C(PUT /v1/cluster).
      - The setting is only read when a write is needed, and only changed then.
        RV(allow_modules_upload_changed) and RV(allow_modules_upload_before) report what was done, so it can be
        restored afterwards with M(redisops.custom_modules.redis_cluster_upload_gate).
      - When V(false) and uploads are disabled, the module fails before sending anything.
    type: bool
    default: false
notes:
  - The password is never returned and never appears in error messages.
  - When two runs create the same object at the same time (for example two job slices), the second one finds it on
    its re-read and reports no change.
seealso:
  - module: redisops.custom_modules.redis_user_module_info
  - module: redisops.custom_modules.redis_module_artifact
  - module: redisops.custom_modules.redis_cluster_upload_gate
  - name: Redis Enterprise REST API, user-defined modules
    description: The C(/v2/modules/user-defined) requests.
    link: https://redis.io/docs/latest/operate/rs/references/rest-api/requests/modules/user-defined/
"""

EXAMPLES = r"""
- name: Register the module object from the package on the controller
  redisops.custom_modules.redis_user_module:
    url: https://re-node1.example.com:9443
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    artifact: files/hello-1.0.0.zip
    allow_uploads: true
  run_once: true
  register: hello_object

- name: Restore the upload setting when this run enabled it
  redisops.custom_modules.redis_cluster_upload_gate:
    url: https://re-node1.example.com:9443
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    allowed: "{{ hello_object.allow_modules_upload_before }}"
  run_once: true
  when: hello_object.allow_modules_upload_changed

- name: Register it from the package in an artifact repository (a bearer token; downloaded once into the controller's cache)
  redisops.custom_modules.redis_user_module:
    url: https://re-node1.example.com:9443
    download:
      url: https://artifacts.example.com/redis-modules/hello-1.0.0.zip
      checksum: sha256:9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d
      headers:
        Authorization: "Bearer {{ vault_artifact_token }}"
  run_once: true

- name: Register it from a package already on the managed host
  redisops.custom_modules.redis_user_module:
    artifact: /var/tmp/hello-1.0.0.zip
    remote_src: true
  run_once: true

- name: Register it from explicit metadata (connection from the environment or module_defaults)
  redisops.custom_modules.redis_user_module:
    metadata:
      module_name: greeter
      version: 10203
      semantic_version: 1.2.3
      display_name: Greeter
      command_line_args: ""
      capabilities: [types, replica_of, backup_restore, failover_migrate, persistence_rdb]
      min_redis_version: "7.0"
      commands:
        - command_name: greeter.greet
          command_arity: -1
          first_key: 0
          last_key: 0
          step: 0
          flags: [readonly, fast]
    allow_uploads: true

- name: Delete version 1.0.0 of the module object
  redisops.custom_modules.redis_user_module:
    state: absent
    module_name: hello
    semantic_version: 1.0.0

- name: Delete the object of the version a package describes
  redisops.custom_modules.redis_user_module:
    state: absent
    artifact: files/hello-1.0.0.zip

- name: Use one set of connection options for every task of the collection
  module_defaults:
    group/redisops.custom_modules.redis_enterprise:
      url: https://re-node1.example.com:9443
      username: admin@example.com
      password: "{{ vault_redis_admin_password }}"
  block:
    - name: Create the object of hello 2.0.0
      redisops.custom_modules.redis_user_module:
        artifact: files/hello-2.0.0.zip
        allow_uploads: true
"""

RETURN = r"""
download:
  description:
    - The package given by O(download), as the controller fetched it.
  returned: when O(download) is given
  type: dict
  contains:
    url:
      description: O(download.url) without credentials, query or fragment.
      type: str
      sample: https://artifacts.example.com/redis-modules/hello-1.0.0.zip
    checksum:
      description: The package's SHA-256, verified.
      type: str
      sample: sha256:9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d
    path:
      description: The verified copy in the controller's package cache.
      type: str
      sample: /home/deploy/.cache/redisops.custom_modules/packages/sha256/9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d/hello-1.0.0.zip
    downloaded:
      description: Whether this task downloaded it (V(false) - the cached copy was verified and used).
      type: bool
      sample: true
module:
  description:
    - The module object as the cluster returns it after the task (from C(GET /v1/modules) or C(POST /v2/modules/user-defined)).
    - In check mode, when the object would be created, the metadata that would be sent (without C(uid)).
    - V(null) when the object does not exist (O(state=absent)).
  returned: always
  type: dict
  sample:
    uid: 7e9f0c2a1b3d4e5f60718293a4b5c6d7
    module_name: hello
    version: 10000
    semantic_version: 1.0.0
    display_name: Hello
    author: redisops
    command_line_args: ""
    capabilities: [types, replica_of, backup_restore, failover_migrate, persistence_rdb]
    min_redis_version: "7.0"
    compatible_redis_version: "8.2"
    is_bundled: false
allow_modules_upload_changed:
  description: Whether the task set the cluster's C(allow_modules_upload) to V(true) (see O(allow_uploads)).
  returned: always
  type: bool
  sample: true
allow_modules_upload_before:
  description:
    - The cluster's C(allow_modules_upload) setting before the task, when the task needed to write and read it.
    - V(null) when it was not read (no write was needed) or the cluster has no such setting (Redis Enterprise 8.0).
  returned: always
  type: bool
  sample: false
redis_versions:
  description:
    - The Redis database versions of the cluster (major.minor) that can load the module, by the check of
      O(check_redis_version).
    - Only when the object was created (or would be, in check mode) and the check ran. Otherwise an empty list.
    - On failure, when no version fits, the versions the cluster offers.
  returned: always
  type: list
  elements: str
  sample: ["8.2"]
differences:
  description: The fields whose values differ between the existing object and the desired metadata.
  returned: when an object with the same name and version exists with different metadata (also on failure)
  type: list
  elements: str
  sample: [command_line_args, display_name]
databases:
  description: Names of the databases that use the module, when they prevent its deletion.
  returned: on failure, when the module is in use
  type: list
  elements: str
  sample: [sessions, cache]
"""

import copy


from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec, _redis_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import (
    ArtifactError, coerce_version, inspect_package, module_name_problem)
from ansible_collections.redisops.custom_modules.plugins.module_utils._bdb_upgrade import uses
from ansible_collections.redisops.custom_modules.plugins.module_utils._diff import make_diff
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module, failure
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import UploadGate

REQUIRED_METADATA = ("module_name", "version", "semantic_version", "display_name", "commands",
                     "command_line_args", "capabilities", "min_redis_version")

# Fields never compared: identity/bookkeeping, or what the server drops (commands) or rewrites.
NOT_COMPARED = frozenset(("uid", "is_bundled", "module_name", "version", "commands", "dependencies", "crdb",
                          "platforms", "sha256"))

# Statuses of a create that may mean "someone else created it meanwhile" (module_exists and the like).
CONFLICT_STATUSES = (400, 406, 409)


def _version_or_none(value):
    number = coerce_version(value)
    return number if number is not None and number >= 0 else None


def metadata_version(value, what="version"):
    """module.json's numeric version, read like Redis Enterprise reads it (int(float(v)): 10000, 10000.0, "10000")."""
    number = coerce_version(value)
    if number is None:
        raise failure("%s must be a number such as 10000 (for 1.0.0), got %r" % (what, value))
    if number < 1:
        raise failure("%s must be a positive integer such as 10000 (for 1.0.0), got %r" % (what, value))
    return number


def check_module_name(name, what):
    """Fail, before any request, on a module name Redis Enterprise must never receive (see _artifact.module_name_problem)."""
    problem = module_name_problem(name)
    if problem:
        raise failure("%s: %s. Nothing was sent to the cluster" % (what, problem))


def normalize_metadata(metadata):
    missing = [field for field in REQUIRED_METADATA if metadata.get(field) is None]
    if missing:
        raise failure("metadata is missing the required field(s) %s; module.json needs at least %s"
                      % (", ".join(missing), ", ".join(REQUIRED_METADATA)), missing_fields=missing)
    check_module_name(metadata["module_name"], "metadata module_name")
    desired = copy.deepcopy(metadata)
    desired["version"] = metadata_version(metadata["version"], "metadata version")
    desired["semantic_version"] = str(metadata["semantic_version"])
    return desired


def _comparable(field, value):
    if field == "capabilities" and isinstance(value, list):
        return sorted(str(item) for item in value)
    if field == "semantic_version" and value is not None:
        return str(value)
    return value


def differing_fields(existing, desired):
    return sorted(field for field in desired
                  if field not in NOT_COMPARED and field in existing
                  and _comparable(field, existing[field]) != _comparable(field, desired[field]))


def is_user_defined(obj):
    return isinstance(obj, dict) and not obj.get("is_bundled", False)


def object_version(obj):
    return _version_or_none(obj.get("version"))


def find_objects(modules, module_name, version=None, semantic_version=None):
    found = []
    for obj in modules or []:
        if not is_user_defined(obj) or obj.get("module_name") != module_name:
            continue
        if version is not None and object_version(obj) != version:
            continue
        if semantic_version is not None and str(obj.get("semantic_version")) != semantic_version:
            continue
        found.append(obj)
    return found


def databases_using(client, obj, modules=None):
    """Names of the databases whose module_list uses this module object (``modules``: GET /v1/modules, read when None).

    An entry is matched by module_id, else by semantic_version, else by what the module objects tell
    (_bdb_upgrade.uses); one whose version cannot be told counts as using every version of its module, since a
    wrongly refused deletion is cheap and a wrongly attempted one is not."""
    bdbs = client.list_bdbs() or []
    if modules is None and any(b.get("module_list") for b in bdbs if isinstance(b, dict)):
        modules = client.list_modules() or []
    names = []
    for bdb in bdbs:
        if any(uses(bdb, entry, obj, modules) for entry in bdb.get("module_list") or []):
            names.append(str(bdb.get("name", bdb.get("uid"))))
    return sorted(set(names))


def describe(obj):
    return "%s %s (version %s)" % (obj.get("module_name"), obj.get("semantic_version"), obj.get("version"))


class UserModuleManager(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.check_mode = module.check_mode
        self.params = module.params
        self.uploads = UploadGate(client, self.params["allow_uploads"], self.check_mode,
                                  "POST /v2/modules/user-defined", "Nothing was changed")
        self.redis_versions = []

    # -- identity -------------------------------------------------------------------------------------
    def desired_metadata(self):
        params = self.params
        if params["metadata"] is not None:
            return params["metadata"]
        if params["artifact"] is not None:
            return self.read_package(params["artifact"])
        return None

    def read_package(self, path):
        try:
            package = inspect_package(path)
        except ArtifactError as exc:
            # The inspector's message starts with the path.
            raise failure("artifact %s" % exc.msg, artifact=path)
        for warning in package.warnings:
            self.module.warn(warning)
        return package.metadata

    # -- state ----------------------------------------------------------------------------------------
    def run(self):
        if self.params["state"] == "present":
            return self.present()
        return self.absent()

    def result(self, changed, before, after, **extra):
        result = dict(changed=changed, module=after or None, redis_versions=self.redis_versions, **self.uploads.result())
        if self.module._diff:
            result["diff"] = make_diff(before, after)
        result.update(extra)
        return result

    def present(self):
        desired = normalize_metadata(self.desired_metadata())
        name, version = desired["module_name"], desired["version"]
        existing = find_objects(self.client.list_modules(), name, version)
        current = existing[0] if existing else None
        if current is not None:
            differences = differing_fields(current, desired)
            if not differences:
                return self.result(False, current, current)
            if not self.params["force"]:
                raise failure(
                    "module %s already exists with different metadata (%s). A module version is immutable: bump "
                    "'version' and 'semantic_version' in module.json, or set force: true to delete and re-create it "
                    "(refused while a database uses it)" % (describe(current), ", ".join(differences)),
                    differences=differences, module=current)
            users = databases_using(self.client, current)
            if users:
                raise failure(
                    "module %s differs (%s) but cannot be replaced: it is used by database(s) %s; nothing was deleted"
                    % (describe(current), ", ".join(differences), ", ".join(users)),
                    databases=users, differences=differences, module=current)
            self.check_redis_version(desired)
            self.uploads.ensure()
            if self.check_mode:
                return self.result(True, current, desired, differences=differences)
            self.delete(current)
            try:
                created = self.create(desired)
            except RedisEnterpriseError as exc:
                exc.msg = "%s (the previous object %s was already deleted; re-run to create it)" % (exc.msg, describe(current))
                raise
            return self.result(True, current, created, differences=differences)

        self.check_redis_version(desired)
        self.uploads.ensure()
        if self.check_mode:
            return self.result(True, None, desired)
        try:
            created = self.create(desired)
        except RedisEnterpriseError as exc:
            if exc.status not in CONFLICT_STATUSES:
                raise
            # Another run may have created it between our read and our write.
            again = find_objects(self.client.list_modules(), name, version)
            if not again:
                raise
            differences = differing_fields(again[0], desired)
            if differences:
                raise failure(
                    "module %s was created meanwhile by someone else with different metadata (%s). A module version "
                    "is immutable: bump the version, or set force: true" % (describe(again[0]), ", ".join(differences)),
                    differences=differences, module=again[0])
            return self.result(self.uploads.changed, again[0], again[0])
        return self.result(True, None, created)

    def absent(self):
        params = self.params
        if params["module_name"] is not None:
            name, version, semver = params["module_name"], params["version"], params["semantic_version"]
            check_module_name(name, "module_name")
            if version is None and semver is None:
                raise failure("module_name needs version or semantic_version to identify the object to delete")
        else:
            metadata = self.desired_metadata()
            if not metadata or metadata.get("module_name") is None or metadata.get("version") is None:
                raise failure("metadata needs module_name and version to identify the object to delete")
            check_module_name(metadata["module_name"], "metadata module_name")
            name, version, semver = metadata["module_name"], metadata_version(metadata["version"], "metadata version"), None
        modules = self.client.list_modules()
        targets = find_objects(modules, name, version, semver)
        if not targets:
            return self.result(False, None, None)
        for obj in targets:
            users = databases_using(self.client, obj, modules)
            if users:
                raise failure(
                    "module %s cannot be deleted: it is used by database(s) %s; remove it from their module_list "
                    "or delete them first. Nothing was deleted" % (describe(obj), ", ".join(users)),
                    databases=users, module=obj)
        changed = True
        if not self.check_mode:
            # any() would stop at the first object: delete them all.
            changed = True in [self.delete(obj) for obj in targets]
        return self.result(changed, targets[0] if changed else None, None)

    # -- checks before a write ----------------------------------------------------------------------
    def check_redis_version(self, desired):
        """Fail before anything is sent when no Redis database version of the cluster could load the module."""
        if not self.params["check_redis_version"]:
            return
        offered = _redis_version.cluster_versions(self.client.list_nodes())
        fit = _redis_version.check_package(desired, offered, what="module %s" % describe(desired),
                                           where="the cluster at %s" % self.client.base_url)
        if fit.problem:
            shown = [_redis_version.label(version) for version in fit.offered]
            raise failure("%s. Nothing was changed; to register it anyway (no database can use it until the cluster offers "
                          "a Redis version it fits), set check_redis_version: false" % fit.problem,
                          redis_versions=shown)
        if fit.warning:
            self.module.warn(fit.warning)
        self.redis_versions = [_redis_version.label(version) for version in fit.versions]

    # -- writes ---------------------------------------------------------------------------------------
    def create(self, desired):
        return self.uploads.write(self.client.create_user_module, desired)

    def delete(self, obj):
        """Delete one object; False when it was already gone."""
        try:
            self.client.delete_user_module(obj["uid"])
        except RedisEnterpriseError as exc:
            if exc.status == 406 and exc.error_code == "module_in_use":
                users = databases_using(self.client, obj)
                raise failure(
                    "module %s cannot be deleted: it is used by database(s) %s (HTTP 406 module_in_use from DELETE "
                    "/v2/modules/user-defined/%s). Nothing was deleted"
                    % (describe(obj), ", ".join(users) or "(not listed by GET /v1/bdbs)", obj["uid"]),
                    databases=users, module=obj, status=406, error_code="module_in_use")
            if exc.status == 404:
                # Deleted by someone else meanwhile: the goal is reached, by them.
                return False
            raise
        return True


def argument_spec():
    spec = _argspec.connection_argument_spec()
    spec.update(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        artifact=dict(type="path"),
        download=_argspec.download_argument_spec(),
        remote_src=dict(type="bool", default=False),
        metadata=dict(type="dict"),
        module_name=dict(type="str"),
        version=dict(type="int"),
        semantic_version=dict(type="str"),
        force=dict(type="bool", default=False),
        check_redis_version=dict(type="bool", default=True),
        allow_uploads=dict(type="bool", default=False),
    )
    return spec


def main():
    module = _argspec.RedisEnterpriseModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[
            ("artifact", "metadata", "module_name", "download"),
            ("download", "version"), ("download", "semantic_version"), ("download", "remote_src"),
            ("artifact", "version"), ("artifact", "semantic_version"),
            ("metadata", "version"), ("metadata", "semantic_version"),
        ],
        required_one_of=[("artifact", "metadata", "module_name", "download")],
        required_if=[
            ("state", "present", ("artifact", "metadata", "download"), True),
        ],
        required_by={"version": "module_name", "semantic_version": "module_name"},
        supports_check_mode=True,
    )
    if module.params["download"] is not None:
        module.fail_json(msg=_argspec.DOWNLOAD_ON_CONTROLLER)
    client = _argspec.client_from_module(module)
    manager = UserModuleManager(module, client)
    try:
        result = manager.run()
    except RedisEnterpriseError as exc:
        fail_module(module, exc, redis_versions=manager.redis_versions, **manager.uploads.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
