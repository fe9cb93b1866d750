#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_module_artifact
short_description: Manage the artifact (package) of a custom Redis module on one Redis Enterprise node
version_added: 0.1.0
description:
  - Uploads or deletes the artifact of a custom (user-defined) Redis module on B(one node) of a Redis Enterprise
    Software 8.x cluster, with C(POST /v2/local/modules/user-defined/artifacts) and
    C(DELETE /v2/local/modules/user-defined/artifacts/<module_name>/<version>).
  - The artifact is the module package (a RAMP zip with C(module.json) and the C(.so)). Every node of the cluster needs its
    own copy, so this module runs once per node. The cluster-wide module object that databases reference is managed by
    M(redisops.custom_modules.redis_user_module).
  - Two ways to run it. On the node itself, where O(url) keeps its default C(https://localhost:9443). Or delegated to the
    controller (C(delegate_to=localhost)) with O(url) set to the address of the node of the current host.
  - Idempotent. The module reads the node's list (C(GET /v2/local/modules/user-defined/artifacts)); when the
    C(module_name) and numeric C(version) of the package's C(module.json) are listed, nothing is uploaded and nothing is
    changed (unless O(force=true)).
  - O(src) is a path on the controller by default. An action plugin resolves it (a role's C(files/) directory is
    searched), decrypts it when it is vault-encrypted, and checks the package on the controller before anything is sent.
    It then asks the node whether the artifact is already listed, and copies the package to the managed host only when an
    upload is needed. When the task runs on the controller (a C(local) connection, or delegated to C(localhost)) and
    without privilege escalation, the package is used in place and never copied.
  - Before an upload (never on a run that changes nothing), the node's operating system and architecture
    (C(GET /v1/nodes)) are compared with the architecture of the package's C(.so) and its C(operating_systems), and
    the Redis database versions the node offers (C(supported_database_versions)) with the package's
    C(compatible_redis_version) and C(min_redis_version); a mismatch fails before anything is uploaded (see O(check_node)).
  - The upload is streamed from disk (multipart form field C(module)); memory use does not grow with the package size.
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
      - No write request is sent and nothing is copied to the managed host in check mode; C(changed) and the returned
        values predict the real run. The node compatibility and upload checks are run, since they only read.
  diff_mode:
    support: full
    details:
      - The diff shows this node's artifact entry before and after (an empty dictionary when it is not listed).
  action:
    description: Indicates this has a corresponding action plugin so some parts of the work happen on the controller.
    support: full
    details:
      - An action plugin reads O(src) on the controller and copies it to the managed host only when an upload is needed,
        unless O(remote_src=true).
options:
  state:
    description:
      - V(present) uploads the package O(src) to the node unless the node already lists its C(module_name) and C(version).
      - V(absent) deletes the artifact from the node when the node lists it.
    type: str
    choices: [present, absent]
    default: present
  src:
    description:
      - Path to the module package (a RAMP zip with C(module.json) and one C(.so)).
      - A path on the controller, resolved like O(ansible.builtin.copy#module:src) of M(ansible.builtin.copy) (a role's
        C(files/) directory is searched), and decrypted when it is vault-encrypted. With O(remote_src=true), a path on the
        managed host.
      - The package is checked before anything is sent, by the rules Redis Enterprise applies (RAMP's unpacker) - only
        C(module.json), one C(.so) and files under C(deps/); C(module_file) naming that C(.so), a 64-bit ELF shared object;
        C(architecture) V(x86_64) or V(aarch64) and matching the ELF; C(version) read as C(int(float(version))); each
        C(operating_systems) entry a name and a version; a safe C(module_name) (see O(module_name)); each declared
        dependency present as C(deps/<last path segment of its url>) (RedisGears' C(-withdeps) packages) or
        C(deps/<name>.tgz) (C(ramp pack)), matching its C(sha256); at most 500 MB. A package that breaks a rule fails
        with a message naming the problem, what to fix, and the error Redis Enterprise would give.
      - The cluster setting C(module_upload_max_size_mb) (40 on a default 8.0 cluster; read from C(GET /v1/cluster)
        where the cluster reports it) may also limit uploads; whether it applies to custom modules is not documented.
        A larger package gets a warning before it is sent, and when the node refuses it, the error names the setting,
        the package size and the C(PUT /v1/cluster) that raises the setting.
      - Required with O(state=present). With O(state=absent), the package's C(module_name) and C(version) name the
        artifact to delete, instead of O(module_name) and O(version).
    type: path
  remote_src:
    description:
      - When V(true), O(src) is a path on the managed host, and the module reads and checks it there.
      - When V(false), O(src) is read on the controller.
    type: bool
    default: false
  module_name:
    description:
      - Name of the module whose artifact to delete (the C(module_name) of its C(module.json), for example V(hello)).
      - Only with O(state=absent), together with O(version). Mutually exclusive with O(src).
      - A name with C(/), C(\), NUL or other control characters, whitespace, that is C(.) or C(..), or longer than 128
        characters is refused before any request (Redis Enterprise stores artifacts under
        C(<modules dir>/<module_name>/<version>/)). The same rule applies to the C(module_name) of a package.
    type: str
  version:
    description:
      - Numeric version of the artifact to delete, for example V(10000) for C(1.0.0).
      - Only with O(module_name).
    type: int
  force:
    description:
      - Upload the package even when the node already lists its C(module_name) and C(version).
      - Only with O(state=present).
    type: bool
    default: false
  allow_uploads:
    description:
      - When an upload is needed and the cluster's C(allow_modules_upload) setting is V(false) (Redis Enterprise 8.2 and
        later refuse uploads with HTTP 403 C(modules_upload_disabled) by default), set it to V(true) first with
        C(PUT /v1/cluster).
      - The setting is only read when an upload is needed, and only changed then. RV(allow_modules_upload_changed) and
        RV(allow_modules_upload_before) report what was done, so it can be restored afterwards with
        M(redisops.custom_modules.redis_cluster_upload_gate).
      - When V(false) and uploads are disabled, the module fails before uploading anything.
    type: bool
    default: false
  check_node:
    description:
      - Before an upload, compare the architecture of the package's C(.so) and its C(operating_systems) with this node's
        (C(GET /v1/nodes)), and fail before uploading on a mismatch.
      - Operating systems are compared by family and major version, with Rocky, AlmaLinux, Oracle Linux and CentOS counted
        as C(rhel) (as Redis' packer does), so a package for C(ubuntu22.04) fits an Ubuntu 22.04 node (C(ubuntu22)), one
        for C(rocky9) or C(rhel9.4) fits a RHEL 9 or Rocky 9 node (C(rhel9)).
      - The same check compares the package's C(compatible_redis_version) and C(min_redis_version) with the Redis
        database versions the node offers (C(supported_database_versions)), and fails when none of them could load the
        module. Redis Enterprise's rule is used. When C(compatible_redis_version) is set, it must equal a database's
        Redis version (major.minor). Otherwise the major version of C(min_redis_version) must match. A package that
        sets neither field, or a node that lists no versions, passes this part of the check without a warning
        (M(redisops.custom_modules.redis_user_module) warns about such a package).
      - The node is found by matching the host of O(url) (resolved) with each node's C(addr) and C(external_addr). When
        it cannot be found and every node of the cluster has the same operating system and architecture, those are used;
        otherwise a warning is issued and the comparison is skipped.
      - Set to V(false) to skip this check.
    type: bool
    default: true
  _package:
    description:
      - Private to this collection. The action plugin sets it to the identity, architecture, operating systems and Redis
        versions (C(compatible_redis_version), C(min_redis_version)) of a package it checked on the controller, to learn
        whether an upload is needed before it copies the package.
      - Do not set it in a task.
    type: dict
notes:
  - The password is never returned and never appears in error messages or warnings.
  - With privilege escalation (C(become)) on the controller, the package is copied to a temporary directory like on a
    remote host, so that the user the module runs as can read it.
seealso:
  - module: redisops.custom_modules.redis_module_artifact_info
  - module: redisops.custom_modules.redis_user_module
  - module: redisops.custom_modules.redis_cluster_upload_gate
  - name: Redis Enterprise REST API, user-defined modules
    description: The C(/v2/local/modules/user-defined/artifacts) requests.
    link: https://redis.io/docs/latest/operate/rs/references/rest-api/requests/modules/user-defined/
"""

EXAMPLES = r"""
- name: Upload the package to every node, from the controller (one task per node, url per node)
  redisops.custom_modules.redis_module_artifact:
    url: "https://{{ ansible_host }}:9443"
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    src: files/hello-1.0.0.zip
    allow_uploads: true
  delegate_to: localhost
  register: hello_artifact

- name: Restore the upload setting when one of the uploads enabled it
  redisops.custom_modules.redis_cluster_upload_gate:
    url: "https://{{ ansible_host }}:9443"
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    allowed: false
  delegate_to: localhost
  run_once: true
  when: >-
    ansible_play_hosts | map('extract', hostvars, 'hello_artifact')
    | selectattr('allow_modules_upload_changed', 'defined') | selectattr('allow_modules_upload_changed') | list | length > 0

- name: Upload the package, running on each node against its own API (https://localhost:9443)
  redisops.custom_modules.redis_module_artifact:
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    src: files/hello-1.0.0.zip

- name: Upload the package kept in an artifact repository (downloaded once on the controller, whatever the host count)
  redisops.custom_modules.redis_module_artifact:
    url: "https://{{ ansible_host }}:9443"
    download:
      url: https://artifacts.example.com/redis-modules/hello-1.0.0.zip
      checksum: sha256:9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d
      url_username: deploy
      url_password: "{{ vault_artifactory_password }}"
  delegate_to: localhost

- name: Upload a package that is already on the node
  redisops.custom_modules.redis_module_artifact:
    src: /var/tmp/hello-2.0.0.zip
    remote_src: true

- name: Delete version 1.0.0 (numeric 10000) of the artifact from the node
  redisops.custom_modules.redis_module_artifact:
    state: absent
    module_name: hello
    version: 10000

- name: Delete the artifact a package describes
  redisops.custom_modules.redis_module_artifact:
    state: absent
    src: files/hello-2.0.0.zip

- name: Use one set of connection options for every task of the collection
  module_defaults:
    group/redisops.custom_modules.redis_enterprise:
      url: "https://{{ ansible_host }}:9443"
      username: admin@example.com
      password: "{{ vault_redis_admin_password }}"
  block:
    - name: Upload hello 2.0.0
      redisops.custom_modules.redis_module_artifact:
        src: files/hello-2.0.0.zip
        allow_uploads: true
      delegate_to: localhost
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
artifact:
  description:
    - Identity of the artifact the task is about.
    - C(semantic_version) is only known when it comes from a package (O(src)).
  returned: always
  type: dict
  contains:
    module_name:
      description: Name of the module.
      type: str
      sample: hello
    version:
      description: Numeric version.
      type: int
      sample: 10000
    semantic_version:
      description: Semantic version, from the package's C(module.json).
      type: str
      returned: when known
      sample: 1.0.0
  sample:
    module_name: hello
    version: 10000
    semantic_version: 1.0.0
artifacts:
  description:
    - The node's artifact list after the task, as C(GET /v2/local/modules/user-defined/artifacts) returns it (versions
      as integers).
    - In check mode, the list the real run would leave.
  returned: always
  type: list
  elements: dict
  sample:
    - module_name: hello
      version: 10000
      dependencies: []
    - module_name: hello
      version: 20000
      dependencies: []
node:
  description:
    - The node the artifact was checked against (see O(check_node)), when it was looked up, which happens only before an
      upload. An empty dictionary otherwise.
    - C(uid) and C(addr) are V(null) when the node could not be identified but every node of the cluster has the same
      operating system and architecture.
  returned: always
  type: dict
  contains:
    uid:
      description: The node's uid.
      type: int
      sample: 2
    addr:
      description: The node's internal address.
      type: str
      sample: 10.0.0.12
    os:
      description: The node's operating system, as the package's C(operating_systems) name it.
      type: str
      sample: ubuntu22
    architecture:
      description: The node's CPU architecture.
      type: str
      sample: x86_64
    redis_versions:
      description:
        - The Redis database versions (major.minor) the node offers, from its C(supported_database_versions).
        - Those of every node of the cluster when C(uid) is V(null).
      type: list
      elements: str
      sample: ["7.2", "7.4", "8.0", "8.2"]
  sample:
    uid: 2
    addr: 10.0.0.12
    os: ubuntu22
    architecture: x86_64
    redis_versions: ["7.2", "7.4", "8.0", "8.2"]
uploaded:
  description: Whether the package was uploaded to the node (in check mode, whether it would be).
  returned: always
  type: bool
  sample: true
allow_modules_upload_changed:
  description: Whether the task set the cluster's C(allow_modules_upload) to V(true) (see O(allow_uploads)).
  returned: always
  type: bool
  sample: false
allow_modules_upload_before:
  description:
    - The cluster's C(allow_modules_upload) setting before the task, when an upload was needed and it was read.
    - V(null) when it was not read (no upload was needed) or the cluster has no such setting (Redis Enterprise 8.0).
  returned: always
  type: bool
  sample: false
"""


from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec
from ansible_collections.redisops.custom_modules.plugins.module_utils import _artifact, _listing, _redis_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import RedisEnterpriseError, fail_module, failure
from ansible_collections.redisops.custom_modules.plugins.module_utils._nodes import identify_node
from ansible_collections.redisops.custom_modules.plugins.module_utils import _uploads
from ansible_collections.redisops.custom_modules.plugins.module_utils._uploads import UploadGate


def find_artifact(artifacts, module_name, version):
    for entry in _listing.select(artifacts, module_name, version):
        return entry
    return None


def describe(identity):
    if identity.get('semantic_version'):
        return '%s %s (version %s)' % (identity['module_name'], identity['semantic_version'], identity['version'])
    return '%s version %s' % (identity['module_name'], identity['version'])


def node_summary(node, identified=True):
    return dict(
        uid=node.get('uid') if identified else None,
        addr=node.get('addr') if identified else None,
        os=_artifact.node_os_id(node),
        architecture=node.get('architecture'),
        redis_versions=[_redis_version.label(version) for version in _redis_version.cluster_versions(node)],
    )


def redis_version_problems(package, nodes, which):
    """[message] when none of the Redis database versions of ``nodes`` (one node object or a list) could load the package."""
    fit = _redis_version.check_package(package.metadata, _redis_version.cluster_versions(nodes),
                                       what='the package', where=which)
    return [fit.problem] if fit.problem else []


class ArtifactManager(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check_mode = module.check_mode
        # A probe (the action plugin's first pass) reads like check mode and never writes.
        self.probe = module.params['_package'] is not None and module.params['src'] is None
        self.uploads = UploadGate(client, self.params['allow_uploads'], self.check_mode,
                                  'POST /v2/local/modules/user-defined/artifacts', 'Nothing was uploaded')
        self.node = {}

    # -- identity ---------------------------------------------------------------------------------
    def package(self):
        if self.params['src'] is not None:
            try:
                package = _artifact.inspect_package(self.params['src'])
            except _artifact.ArtifactError as exc:
                raise failure(artifact_message(exc, self.params['src']), src=self.params['src'])
            if self.params['remote_src']:
                # without remote_src the action plugin read the package on the controller and gave its warnings
                for warning in package.warnings:
                    self.module.warn(warning)
            return package
        try:
            return _artifact.Package.from_facts(self.params['_package'])
        except ValueError as exc:
            raise failure('%s. Nothing was sent to the node' % exc)

    # -- state ------------------------------------------------------------------------------------
    def run(self):
        if self.params['state'] == 'present':
            return self.present()
        return self.absent()

    def result(self, changed, identity, artifacts, before, after, uploaded=False, **extra):
        result = dict(changed=changed, artifact=identity, artifacts=artifacts, node=self.node, uploaded=uploaded,
                      **self.uploads.result())
        if self.module._diff:
            header = '%s on %s' % (describe(identity), self.client.base_url)
            result['diff'] = dict(before=before or {}, after=after or {},
                                  before_header=header, after_header=header)
        result.update(extra)
        return result

    def present(self):
        package = self.package()
        identity = identity_of(package)
        name, version = identity['module_name'], identity['version']
        artifacts = self.client.list_artifacts()
        current = find_artifact(artifacts, name, version)
        if current is not None and not self.params['force']:
            return self.result(False, identity, artifacts, current, current)

        self.check_compatibility(package)
        self.uploads.check()
        size = getattr(package, 'size', None)
        warning = _uploads.size_warning('the package of %s' % describe(identity), size, self.uploads.limit_mb, 'the cluster')
        if warning:
            self.module.warn(warning)
        predicted = dict(module_name=name, version=version, dependencies=list(package.dependencies or []))
        if self.check_mode:
            self.uploads.enable()  # in check mode, only recorded
            after = artifacts if current is not None else artifacts + [predicted]
            return self.result(True, identity, after, current, current or predicted, uploaded=True)
        if self.probe:
            # Tell the action plugin to copy the package and run again; nothing was written.
            return self.result(False, identity, artifacts, current, current, upload_required=True)

        self.uploads.enable()
        try:
            self.uploads.write(self.client.upload_artifact, package.path)
        except RedisEnterpriseError as exc:
            hint = _uploads.refusal_hint(size, self.uploads.limit_mb) if exc.status is not None and exc.status < 500 else None
            if hint:
                raise exc.with_hint(hint)
            raise
        after = self.client.list_artifacts()
        entry = find_artifact(after, name, version)
        if entry is None:
            raise failure(
                'the node accepted the upload of %s (POST /v2/local/modules/user-defined/artifacts) but does not list it '
                'afterwards in GET /v2/local/modules/user-defined/artifacts; check the node\'s logs'
                % describe(identity), artifact=identity, artifacts=after, node=self.node, uploaded=True)
        return self.result(True, identity, after, current, entry, uploaded=True)

    def absent(self):
        if self.params['module_name'] is not None:
            identity = dict(module_name=self.params['module_name'], version=self.params['version'])
        else:
            identity = identity_of(self.package())
        artifacts = self.client.list_artifacts()
        current = find_artifact(artifacts, identity['module_name'], identity['version'])
        if current is None:
            return self.result(False, identity, artifacts, None, None)
        remaining = [entry for entry in artifacts if entry is not current]
        if self.check_mode:
            return self.result(True, identity, remaining, current, None)
        try:
            self.client.delete_artifact(identity['module_name'], identity['version'])
        except RedisEnterpriseError as exc:
            if exc.status != 404:
                raise
            # Deleted by someone else since our read: the goal is reached.
        after = self.client.list_artifacts()
        if find_artifact(after, identity['module_name'], identity['version']) is not None:
            raise failure(
                'the node accepted the deletion of %s but still lists it in GET /v2/local/modules/user-defined/artifacts'
                % describe(identity), artifact=identity, artifacts=after)
        return self.result(True, identity, after, current, None)

    # -- checks before an upload ------------------------------------------------------------------
    def check_compatibility(self, package):
        if not self.params['check_node']:
            return
        nodes = self.client.list_nodes()
        node, how = identify_node(nodes, self.client.base_url)
        if node is None:
            self.module.warn(
                'cannot tell which node of the cluster %s is (no node has that address, and the nodes differ in operating '
                'system or architecture), so the package was not compared with the node; set url to the node\'s address, '
                'or check_node: false to silence this warning' % self.client.base_url)
            return
        self.node = node_summary(node, identified=(how == 'address'))
        if how == 'address':
            which = 'node %s (%s)' % (node.get('uid'), node.get('addr'))
        else:
            which = 'the nodes of the cluster at %s' % self.client.base_url
            # Unidentified: any node of the cluster may be this one, so any version one of them offers counts.
            self.node['redis_versions'] = [_redis_version.label(v) for v in _redis_version.cluster_versions(nodes)]
        problems = (_artifact.check_node_compatibility(package, node)
                    + redis_version_problems(package, node if how == 'address' else nodes,
                                             which if how == 'address' else 'the cluster at %s' % self.client.base_url))
        if problems:
            raise failure(
                '%s cannot run %s: %s. Node: %s/%s, Redis %s; package: %s for %s, %s. Nothing was uploaded; use a package '
                'built for this node, or set check_node: false to skip this check'
                % (which, describe(identity_of(package)), '; '.join(problems), self.node.get('os') or 'unknown OS',
                   self.node.get('architecture') or 'unknown architecture',
                   ', '.join(self.node.get('redis_versions') or []) or 'versions not listed',
                   package.architecture or 'unknown architecture',
                   ', '.join(package.operating_systems) if package.operating_systems else 'any OS',
                   _redis_version.describe_fields(package.metadata)),
                artifact=identity_of(package), node=self.node, problems=problems)


def identity_of(package):
    identity = dict(module_name=package.module_name, version=coerce_version(package.version, package.version))
    if package.semantic_version:
        identity['semantic_version'] = str(package.semantic_version)
    return identity


def artifact_message(exc, path):
    text = getattr(exc, 'msg', None) or str(exc)
    if path and path not in text:
        text = '%s: %s' % (path, text)
    return 'invalid module package %s' % text


def argument_spec():
    spec = _argspec.connection_argument_spec()
    spec.update(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        src=dict(type='path'),
        download=_argspec.download_argument_spec(),
        remote_src=dict(type='bool', default=False),
        module_name=dict(type='str'),
        version=dict(type='int'),
        force=dict(type='bool', default=False),
        allow_uploads=dict(type='bool', default=False),
        check_node=dict(type='bool', default=True),
        _package=dict(type='dict'),
    )
    return spec


def check_module_name(name, what):
    """Fail, before any request, on a module name Redis Enterprise must never receive (see _artifact.module_name_problem)."""
    problem = _artifact.module_name_problem(name)
    if problem:
        raise failure('%s: %s. Nothing was sent to the node' % (what, problem))


def validate(params):
    if params['download'] is not None:
        raise failure(_argspec.DOWNLOAD_ON_CONTROLLER)
    if params['module_name'] is not None:
        check_module_name(params['module_name'], 'module_name')
    if params['state'] == 'present':
        if params['module_name'] is not None or params['version'] is not None:
            raise failure('module_name and version are only used with state=absent; with state=present, src names the package')
        if params['src'] is None and params['_package'] is None:
            raise failure('state=present needs src, the module package to upload')
    elif params['src'] is None and params['module_name'] is None:
        raise failure('state=absent needs module_name and version, or src, to name the artifact to delete')


def main():
    module = _argspec.RedisEnterpriseModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('src', 'module_name'), ('src', 'version'), ('src', 'download'), ('download', 'module_name'),
                            ('download', 'version'), ('download', 'remote_src')],
        required_together=[('module_name', 'version')],
        supports_check_mode=True,
    )
    manager = None
    try:
        validate(module.params)
        # Creating the client sends nothing, and run() checks the package before its first request.
        client = _argspec.client_from_module(module)
        manager = ArtifactManager(module, client)
        result = manager.run()
    except (RedisEnterpriseError, _artifact.ArtifactError) as exc:
        extra = {}
        if isinstance(exc, _artifact.ArtifactError):
            extra['msg'] = artifact_message(exc, module.params['src'])
        if manager is not None:
            extra.update(manager.uploads.result(), node=manager.node)
        fail_module(module, exc, **extra)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
