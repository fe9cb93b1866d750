#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: redis_database_module_upgrade
short_description: Upgrade the modules of one Redis Enterprise database to the newest version in the cluster
version_added: 0.1.0
description:
  - Brings every module a Redis Enterprise Software database uses (its C(module_list)) to the newest version the cluster
    allows for that database, keeping the database's Redis version. This is the step between deploying a new module
    version (M(redisops.custom_modules.redis_user_module) and M(redisops.custom_modules.redis_module_artifact)) and
    removing the old one, which Redis Enterprise refuses while a database uses it.
  - "It sends C(POST /v1/bdbs/<uid>/upgrade) with C(redis_version) set to the database's current Redis version (without
    it, Redis Enterprise would also upgrade Redis), which restarts the database's shards on the newest allowed version
    of each module (since Redis Enterprise 7.8.2 an upgrade always upgrades modules), then follows the action with
    C(GET /v1/actions/<action_uid>) until it completes, fails or O(wait_timeout) passes."
  - "A version is allowed when its module object exists in the cluster (C(GET /v1/modules)), it fits the database's
    Redis version (a set C(compatible_redis_version) must equal the database's major.minor, otherwise the major version of
    C(min_redis_version) must match), and, with O(check_artifacts=true), its artifact is on every node. The highest
    numeric version wins."
  - Idempotent. When every module is already at the newest allowed version, nothing is written.
  - "Concurrent runs (AWX job slices, two playbooks at once): while another action runs on the database the server
    answers 409 (C(bdb_busy)); the module then re-reads the database every O(poll_interval) seconds, up to O(wait_timeout),
    and sends the upgrade only if the database still needs it. When the other run's upgrade brought it there, the module
    returns C(changed=false) without sending anything. The database is also read again just before the first request
    (the nodes' artifacts are read in between). Only an upgrade that completes in the moment between that read and the
    request is sent a second time; it changes no version, but restarts the shards again."
  - Before anything is sent, the module refuses (naming the database and saying what to do) when a module has no
    allowed version, or when the newest allowed one is older than the one in use (Redis Enterprise refuses downgrades).
  - The upgrade restarts the database's shards. Run it for one database at a time, in a maintenance window, and read
    the notes.
author:
  - redisops maintainers (@redisops)
extends_documentation_fragment:
  - redisops.custom_modules._connection
  - redisops.custom_modules._attributes
  - redisops.custom_modules._attributes.ACTIONGROUP_REDIS
attributes:
  check_mode:
    support: full
    details:
      - Only reads are sent. The result predicts RV(module_list) and RV(upgrades) from the cluster's module objects, the
        database's Redis version and (with O(check_artifacts=true)) every node's artifacts, by the rule above.
      - With O(server_dry_run=true), check mode also asks the server (C(POST /v1/bdbs/<uid>/upgrade?dry_run=true)) and
        reports its answer.
  diff_mode:
    support: full
    details:
      - The diff shows the database's C(module_list) (module names and semantic versions) before and after.
options:
  database:
    description:
      - Name of the database. Mutually exclusive with O(database_uid); one of them is required.
    type: str
  database_uid:
    description:
      - Uid of the database (the number in C(/v1/bdbs/<uid>)). Mutually exclusive with O(database).
    type: int
  check_artifacts:
    description:
      - Read every node's artifact listing (C(GET /v2/local/modules/user-defined/artifacts) on each node) and count a
        module version as allowed only when its artifact is on every node.
      - "The module talks to one node (O(url)); the artifact listing is per node, so it learns the nodes from
        C(GET /v1/nodes) and connects to each node's address (C(addr)) with the scheme, port, credentials and TLS
        settings of O(url). Each node's certificate must then be valid for its address (O(ca_path) applies)."
      - Nodes are read only when the module objects show a newer version that fits the database; a database already
        on the newest module object costs no node read. A newer version whose artifact is not on every node is not
        used, with a warning.
      - To use other URLs for the nodes (for example names their certificates are valid for), list them in O(node_urls).
      - With V(false), only the module objects and the Redis version decide; the server then refuses (or fails the
        action) when a node lacks the artifact.
    type: bool
    default: true
  node_urls:
    description:
      - The REST API URL of every node of the cluster, read with O(check_artifacts=true) instead of the addresses
        from C(GET /v1/nodes) (the playbook's inventory usually knows them, for example C(module_lifecycle_node_url)).
      - Must name as many different nodes as C(GET /v1/nodes) lists; otherwise the module fails before anything is
        sent, since a node left out could lack the artifact.
      - Same rules as O(url) (C(https://) unless O(allow_http=true)).
    type: list
    elements: str
  preserve_roles:
    description:
      - Sent as C(preserve_roles) (keep the master/replica roles of the shards after the upgrade; needs an extra
        failover). Not sent when unset, so the server's default applies.
    type: bool
  parallel_shards_upgrade:
    description:
      - Sent as C(parallel_shards_upgrade), the maximum number of shards upgraded at the same time. Not sent when unset.
    type: int
  may_discard_data:
    description:
      - Sent as C(may_discard_data). Allows an upgrade that may discard data (for example of a database without
        replication or persistence). Leave V(false) unless you accept losing the data.
    type: bool
    default: false
  force_discard:
    description:
      - Sent as C(force_discard). Discards data even when replication or persistence are on. Needs O(may_discard_data=true).
        Never use it on data you need.
    type: bool
    default: false
  wait:
    description:
      - Wait for the upgrade's action to complete. With V(false), the module returns after the server accepted the
        upgrade, with RV(action) holding the action's uid, and does not verify the result.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the action. When it passes, the module fails, saying the upgrade may still be running.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads of the action's status.
    type: float
    default: 2
  server_dry_run:
    description:
      - In check mode, also send C(POST /v1/bdbs/<uid>/upgrade?dry_run=true) and report the server's answer.
      - The C(dry_run) parameter is described by a Redis support runbook, not by the API documentation. A server that
        does not know it would perform the upgrade, so this is V(false) by default; set it only for clusters known to
        honour it.
    type: bool
    default: false
notes:
  - The password is never returned and never appears in error messages.
  - Permissions, by request (Redis Enterprise roles in brackets). C(update_bdb_with_action) for the upgrade (admin,
    cluster_member, db_member); reading databases, nodes, modules, artifacts and actions is allowed to every role.
  - Redis Enterprise 8.2.0 has a known issue (RS196903) where upgrading a module could leave the shard manager stuck
    unless replica shards were stopped first. Upgrade one database at a time, stop on the first failure, and test on a
    staging cluster first.
  - A failed upgrade leaves the database running; the module reports the server's reason and the database's module
    versions as they are after the failure. An action that ends C(aborted) or C(cancelled) stops the wait at once and
    fails the same way.
  - Since Redis Enterprise 7.8.2 the C(module_id) and C(semantic_version) fields of a database's C(module_list) are
    deprecated. When a server leaves them out, the version in use is told from the module objects (a single version
    of the module, or a single one that fits the database's Redis version, as for bundled modules). When it cannot be
    told (two versions of a custom module that both fit), the module sends nothing for that database and warns.
seealso:
  - module: redisops.custom_modules.redis_user_module
  - module: redisops.custom_modules.redis_module_artifact
  - name: Redis Enterprise REST API, upgrade a database
    description: C(POST /v1/bdbs/{uid}/upgrade).
    link: https://redis.io/docs/latest/operate/rs/references/rest-api/requests/bdbs/upgrade/
"""

EXAMPLES = r"""
- name: Upgrade the modules of database orders to the newest version in the cluster
  redisops.custom_modules.redis_database_module_upgrade:
    url: https://re-node1.example.com:9443
    username: admin@example.com
    password: "{{ vault_redis_admin_password }}"
    ca_path: /etc/pki/redis-enterprise-ca.pem
    database: orders
    preserve_roles: true
  register: upgrade

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ upgrade.upgrades | map(attribute='module_name') | zip(upgrade.upgrades | map(attribute='to')) }}"

- name: See what would be upgraded, without changing anything
  redisops.custom_modules.redis_database_module_upgrade:
    database_uid: 3
  check_mode: true
  diff: true
"""

RETURN = r"""
database:
  description: The database (uid, name, Redis version).
  returned: always
  type: dict
  sample: {"uid": 1, "name": "orders", "redis_version": "8.2"}
module_list:
  description:
    - The database's modules after the task, as C(module_name) and C(semantic_version), read back from the cluster
      once the action completed. In check mode, and with O(wait=false), the predicted list.
  returned: always
  type: list
  elements: dict
  sample: [{"module_name": "hello", "semantic_version": "2.0.0"}]
upgrades:
  description: The modules that change, with their versions before (C(from), C(from_version)) and after (C(to), C(to_version)).
  returned: always
  type: list
  elements: dict
  sample: [{"module_name": "hello", "from": "1.0.0", "to": "2.0.0", "from_version": 10000, "to_version": 20000}]
action:
  description:
    - The upgrade's action as last read (C(action_uid), C(status), C(progress)) and C(progress_log), the distinct
      C(status)/C(progress) pairs seen while waiting. Empty when nothing was sent.
    - C(progress) is a number (a percentage; the server writes it as a string, such as C("100")), or null when the
      server reported none. C(status) ends as C(completed); the module fails when it ends C(failed), C(aborted) or
      C(cancelled), naming the server's C(error_message) and C(error_code).
    - C(busy_waits), how many times the server answered 409 because another action ran on the database (absent when
      nothing was sent). With C(action_uid) null, another run's upgrade brought the database to the new versions.
  returned: always
  type: dict
  sample: {"action_uid": "0a1b...", "status": "completed", "progress": 100.0,
           "progress_log": [{"status": "active", "progress": 40.0}, {"status": "completed", "progress": 100.0}]}
"""

import time

from ansible_collections.redisops.custom_modules.plugins.module_utils import _argspec
from ansible_collections.redisops.custom_modules.plugins.module_utils._bdb_upgrade import (
    FINAL_ACTION_STATUSES, action_reason, action_step, after_busy, module_list_view, plan)
from ansible_collections.redisops.custom_modules.plugins.module_utils._diff import make_diff
from ansible_collections.redisops.custom_modules.plugins.module_utils._errors import (
    RedisEnterpriseError,
    fail_module,
    failure,
)

HINT_STOPPED = ('The action was stopped before it completed (by an operator, rladmin or another cluster operation): the '
                'database keeps running; find what stopped it in the cluster log, then run the task again.')
HINT_FAILED = ('The database keeps running; look at its shards (rladmin status extra all) and the cluster log for the '
               'cause, fix it and run the task again. On Redis Enterprise 8.2.0 (known issue RS196903) stop the replica '
               'shards first. Do not remove the old module version until every database uses the new one.')


def find_database(client, params):
    if params['database_uid'] is not None:
        try:
            return client.get_bdb(params['database_uid'])
        except RedisEnterpriseError as exc:
            if exc.status == 404:
                raise RedisEnterpriseError(
                    exc.description or 'no such database', method=exc.method, path=exc.path, status=exc.status,
                    error_code=exc.error_code, description=exc.description,
                    hint='No database with uid %s on this cluster: check database_uid (GET /v1/bdbs lists them), '
                         'or give the name in database.' % params['database_uid'])
            raise
    bdbs = client.list_bdbs()
    for bdb in bdbs:
        if isinstance(bdb, dict) and bdb.get('name') == params['database']:
            return bdb
    raise failure("no database named '%s' on the cluster at %s (its databases: %s): check the name in database"
                  % (params['database'], client.base_url,
                     ', '.join(sorted(str(b.get('name')) for b in bdbs if isinstance(b, dict))) or 'none'),
                  error_code='db_not_found')


def node_targets(client, node_urls):
    """[(label, url)] of every node: node_urls when given (as many as the cluster has nodes), else GET /v1/nodes' addr."""
    nodes = [node for node in client.list_nodes() if isinstance(node, dict)]
    if node_urls:
        urls = []
        for url in node_urls:
            if url.rstrip('/') not in urls:
                urls.append(url.rstrip('/'))
        if len(urls) != len(nodes):
            raise failure('node_urls lists %d different URL(s), but the cluster has %d node(s) (GET /v1/nodes: %s): list '
                          'every node once, or leave node_urls out to use the nodes\' addresses. Nothing was sent.'
                          % (len(urls), len(nodes), ', '.join('%s (%s)' % (n.get('uid'), n.get('addr')) for n in nodes)))
        return [(url, url) for url in urls]
    targets = []
    for node in nodes:
        address = node.get('addr')
        if not address:
            raise failure('GET /v1/nodes gives no address (addr) for node %s, so its artifacts cannot be read: list the '
                          'nodes in node_urls, or set check_artifacts: false to let the server decide' % node.get('uid'))
        targets.append(('node %s (%s)' % (node.get('uid'), address), client.node_url(address)))
    return targets


def node_artifacts(client, node_urls=None):
    """{node label: set of (module_name, version)} from every node's own artifact listing."""
    out = {}
    for label, url in node_targets(client, node_urls):
        sibling = client.for_url(url)
        try:
            listing = sibling.list_artifacts()
        except RedisEnterpriseError as exc:
            raise failure('cannot read the artifacts of %s at %s: %s. Every node must hold the new version before the '
                          'database is upgraded; bring the node back (or give its URL in node_urls), or set '
                          'check_artifacts: false to let the server decide. Nothing was sent.' % (label, sibling.base_url, exc.msg))
        finally:
            sibling.close()
        out[label] = set((a.get('module_name'), a.get('version')) for a in listing if isinstance(a, dict))
    return out


def upgrade_body(params, current):
    body = dict(redis_version=current, may_discard_data=params['may_discard_data'],
                force_discard=params['force_discard'])
    for key in ('preserve_roles', 'parallel_shards_upgrade'):
        if params[key] is not None:
            body[key] = params[key]
    return body


def wait_for(module, client, action_uid, name, result):
    """Poll the action until it ends (completed, failed, aborted, cancelled) or wait_timeout; returns the last action
    object."""
    params = module.params
    deadline = time.monotonic() + params['wait_timeout']
    log = result['action']['progress_log']
    while True:
        action = client.get_action(action_uid) or {}
        step = action_step(action)
        if not log or log[-1] != step:
            log.append(step)
        result['action'].update(action_uid=action_uid, status=step['status'], progress=step['progress'])
        if action.get('status') in FINAL_ACTION_STATUSES:
            return action
        if time.monotonic() >= deadline:
            raise failure(
                "database '%s': the upgrade did not finish within %s s (action %s is %s at %s%%). It may still be "
                "running: follow it with GET /v1/actions/%s (or rladmin status), and run the task again once it ends; "
                "raise wait_timeout for large databases" % (name, params['wait_timeout'], action_uid, step['status'],
                                                            step['progress'], action_uid))
        time.sleep(max(0.05, params['poll_interval']))


def reread(module, client, bdb, modules, artifacts, result):
    """Read the database again and decide anew: whether it still needs the upgrade. When it does not (another run
    upgraded it), ``result`` gets its modules as they are now."""
    now = client.get_bdb(bdb['uid']) or {}
    replanned = plan(now, modules, artifacts)
    if not replanned.changed:
        result['module_list'] = replanned.after
        if module._diff:
            result['diff'] = make_diff(dict(module_list=replanned.before), dict(module_list=replanned.after))
    return replanned.changed


def send_upgrade(module, client, bdb, modules, artifacts, body, result):
    """POST the upgrade; while the server answers 409 (another action runs on the database, e.g. the same upgrade sent
    by a concurrent run), re-read the database every poll_interval until wait_timeout and send it only if the database
    still needs it. Returns the server's answer, or None when the database no longer needs the upgrade (``result`` then
    says so: changed false, the database's modules as they are now)."""
    params = module.params
    name = bdb.get('name')
    deadline = time.monotonic() + params['wait_timeout']
    busy = 0
    # The database was read before the nodes' artifacts: read it once more just before sending, so that an upgrade
    # a concurrent run finished meanwhile is not sent a second time (the shards would restart again).
    status, still = None, reread(module, client, bdb, modules, artifacts, result)
    while True:
        step = after_busy(status, still, time.monotonic() >= deadline)
        if step == 'done':
            result.update(changed=False, upgrades=[])
            result['action'] = dict(action_uid=None, status=None, progress=None, progress_log=[], busy_waits=busy)
            return None
        if step == 'timeout':
            raise failure("database '%s': another action has been running on it for %s s (the server answered 409 "
                          "each time; a concurrent run or job slice may be upgrading it): follow it in GET /v1/actions, "
                          "then run the task again, or raise wait_timeout. Nothing was sent."
                          % (name, params['wait_timeout']), **dict(result, changed=False))
        if step == 'wait':
            time.sleep(max(0.05, params['poll_interval']))
            still = reread(module, client, bdb, modules, artifacts, result)
            status = None
            continue
        try:
            answer = client.upgrade_bdb(bdb['uid'], body) or {}
            answer['busy_waits'] = busy
            return answer
        except RedisEnterpriseError as exc:
            if after_busy(exc.status, True, False) == 'fail':
                raise RedisEnterpriseError(
                    "database '%s': %s" % (name, exc.description or exc.msg), method=exc.method, path=exc.path,
                    status=exc.status, error_code=exc.error_code, description=exc.description,
                    hint=exc.hint or upgrade_hint(exc.error_code), details=exc.details, extra=dict(result, changed=False))
            busy += 1
            status = exc.status


def main():
    module = _argspec.create_module(dict(
        database=dict(type='str'),
        database_uid=dict(type='int'),
        check_artifacts=dict(type='bool', default=True),
        node_urls=dict(type='list', elements='str'),
        preserve_roles=dict(type='bool'),
        parallel_shards_upgrade=dict(type='int'),
        may_discard_data=dict(type='bool', default=False),
        force_discard=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=600),
        poll_interval=dict(type='float', default=2),
        server_dry_run=dict(type='bool', default=False),
    ), mutually_exclusive=[('database', 'database_uid')], required_one_of=[('database', 'database_uid')])
    params = module.params
    if params['force_discard'] and not params['may_discard_data']:
        module.fail_json(msg='force_discard: true needs may_discard_data: true (both discard data; set them only if you '
                             'accept losing the database\'s data). Nothing was sent.')
    for key in ('wait_timeout', 'parallel_shards_upgrade'):
        if params[key] is not None and params[key] < (1 if key == 'parallel_shards_upgrade' else 0):
            module.fail_json(msg='%s must be at least %d, got %s. Nothing was sent.'
                             % (key, 1 if key == 'parallel_shards_upgrade' else 0, params[key]))
    client = _argspec.client_from_module(module)
    result = dict(changed=False, database={}, module_list=[], upgrades=[], action={})
    try:
        bdb = find_database(client, params)
        name = bdb.get('name')
        modules = client.list_modules()
        decided = plan(bdb, modules)
        artifacts = None
        if decided.changed and not decided.problems and params['check_artifacts']:
            unchecked = decided
            artifacts = node_artifacts(client, params['node_urls'])
            decided = plan(bdb, modules, artifacts)
            held_back = [u for u in unchecked.upgrades if u not in decided.upgrades]
            for upgrade in held_back:
                module.warn("%s %s is in the cluster but its artifact is not on every node, so database '%s' cannot use it "
                            "yet: upload it to every node (redis_module_artifact) and run again"
                            % (upgrade['module_name'], upgrade['to'], name))
        for message in decided.undetermined:
            module.warn(message)
        result['database'] = dict(uid=bdb.get('uid'), name=name, redis_version=decided.redis_version)
        result['module_list'] = decided.after
        result['upgrades'] = decided.upgrades
        if decided.problems:
            raise failure('%s. Nothing was sent.' % '; '.join(decided.problems), **result)
        if module._diff:
            result['diff'] = make_diff(dict(module_list=decided.before), dict(module_list=decided.after))
        if not decided.changed:
            module.exit_json(**result)
        result['changed'] = True
        body = upgrade_body(params, decided.redis_version)
        if module.check_mode:
            if params['server_dry_run']:
                answer = client.upgrade_bdb(bdb['uid'], body, dry_run=True) or {}
                result['module_list'] = module_list_view(answer, modules)
                if module._diff:
                    result['diff'] = make_diff(dict(module_list=decided.before), dict(module_list=result['module_list']))
            module.exit_json(**result)
        answer = send_upgrade(module, client, bdb, modules, artifacts, body, result)
        if answer is None:  # another run's upgrade (a concurrent run or job slice) brought the database there
            module.exit_json(**result)
        action_uid = answer.get('action_uid')
        result['action'] = dict(action_uid=action_uid, status=None, progress=None, progress_log=[],
                                busy_waits=answer.get('busy_waits', 0))
        if not params['wait'] or not action_uid:
            if not action_uid:
                module.warn('the server accepted the upgrade of %s but returned no action_uid to follow' % name)
            module.exit_json(**result)
        action = wait_for(module, client, action_uid, name, result)
        now = client.get_bdb(bdb['uid']) or {}
        result['module_list'] = module_list_view(now, modules)
        if module._diff:
            result['diff'] = make_diff(dict(module_list=decided.before), dict(module_list=result['module_list']))
        if action.get('status') != 'completed':
            raise failure("database '%s': the upgrade of %s %s (action %s): %s. Its modules now: %s. %s"
                          % (name, ', '.join('%s %s -> %s' % (u['module_name'], u['from'], u['to']) for u in decided.upgrades),
                             'failed' if action.get('status') == 'failed' else 'was %s' % action.get('status'),
                             action_uid, action_reason(action),
                             ', '.join('%s %s' % (e['module_name'], e['semantic_version']) for e in result['module_list']),
                             HINT_FAILED if action.get('status') == 'failed' else HINT_STOPPED), **result)
        if result['module_list'] != decided.after:
            raise failure("database '%s': the upgrade completed, but its modules are %s, not the expected %s: check the "
                          "cluster's module versions and run the task again"
                          % (name, result['module_list'], decided.after), **result)
    except RedisEnterpriseError as exc:
        fail_module(module, exc, **result)
    module.exit_json(**result)


def upgrade_hint(error_code):
    if error_code == 'upgrade_bdb_failed':
        return ('No module version fits this database\'s Redis version on every node: upload a version built for it '
                'to the cluster and to every node, then run again. Nothing was changed.')
    if error_code == 'module_downgrade_unsupported':
        return ('The newest version the server would use is older than the one in use: upload the package of the '
                'version in use (or a newer one) to every node, then run again. Nothing was changed.')
    return None


if __name__ == '__main__':
    main()
