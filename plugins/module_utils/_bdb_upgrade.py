# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which module versions a database upgrade would bring, decided from what the cluster holds.

``POST /v1/bdbs/<uid>/upgrade`` restarts a database on the newest *allowed* version of every module
in its ``module_list`` (since Redis Enterprise 7.8.2 an upgrade always upgrades modules). This
collection takes "allowed" to mean:

- a module object with that name exists in the cluster (``GET /v1/modules``);
- it fits the database's Redis version (``_redis_version.fits``; a module that names neither
  ``compatible_redis_version`` nor ``min_redis_version`` gives the server nothing to refuse it by,
  so it counts as fitting);
- when the nodes' artifact listings are known, its artifact is on every node (a node without it
  could not load the module when its shard restarts). Bundled modules ship with every node.

The highest numeric version wins. The Redis version is kept (the caller sends the database's own
``redis_version``).

Pure functions: no requests. This module is private to this collection: its interface may change
without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.module_utils import _redis_version
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import coerce_version


def db_redis_version(bdb):
    """``(major, minor)`` of a bdb object's Redis version (``redis_version``, else ``version``), or None."""
    return _redis_version.parse(bdb.get('redis_version')) or _redis_version.parse(bdb.get('version'))


def _version(obj):
    return coerce_version(obj.get('version'), None) if isinstance(obj, dict) else None


def _semver(obj):
    return obj.get('semantic_version') or str(_version(obj))


def entry_view(entry, current=None):
    """A module_list entry as the diff and the result show it: ``{module_name, semantic_version}``; the version comes
    from ``current`` (the module object the entry refers to) when the entry does not report it."""
    return dict(module_name=entry.get('module_name'),
                semantic_version=entry.get('semantic_version') or (current or {}).get('semantic_version'))


def module_list_view(bdb, modules):
    """A bdb object's module_list as ``entry_view`` dicts, versions told from ``modules`` where the entries omit them."""
    db_version = db_redis_version(bdb)
    return [entry_view(entry, current_module(entry, modules or [], db_version)) for entry in bdb.get('module_list') or []]


def current_module(entry, modules, db_version=None):
    """The module object a database's ``module_list`` entry refers to, or None when it cannot be told.

    By ``module_id`` (the module object's uid), else by name and ``semantic_version``. Both fields are deprecated since
    7.8.2 and a server may leave them out: then the name decides when the cluster holds one version of that module that
    fits the database's Redis version ``db_version`` (a database only runs a version that fits it, and the server
    refuses to delete a module object in use). That tells a bundled module's version (one version per Redis version),
    not a user-defined module's whose versions both fit.
    """
    if entry.get('module_id'):
        for mod in modules:
            if mod.get('uid') == entry.get('module_id'):
                return mod
    if entry.get('semantic_version'):
        for mod in modules:
            if mod.get('module_name') == entry.get('module_name') and mod.get('semantic_version') == entry.get('semantic_version'):
                return mod
    if entry.get('module_id') or entry.get('semantic_version'):
        return None
    same_name = [mod for mod in modules if mod.get('module_name') == entry.get('module_name')]
    if len(same_name) > 1 and db_version is not None:
        same_name = [mod for mod in same_name if fits(mod, db_version)]
    return same_name[0] if len(same_name) == 1 else None


def uses(bdb, entry, obj, modules):
    """Whether the ``module_list`` entry of database ``bdb`` uses the module object ``obj`` (``modules``: every module
    object of the cluster). An entry whose version cannot be told (no module_id, no semantic_version, several versions
    of the module fit) counts as using every version of its module: a deletion wrongly refused is cheap, one wrongly
    attempted is not."""
    if entry.get('module_id') and entry.get('module_id') == obj.get('uid'):
        return True
    if entry.get('module_name') != obj.get('module_name'):
        return False
    current = current_module(entry, modules or [obj], db_redis_version(bdb))
    if current is not None:
        return current.get('uid') == obj.get('uid')
    if entry.get('module_id') or entry.get('semantic_version'):
        return entry.get('module_id') == obj.get('uid') or entry.get('semantic_version') == obj.get('semantic_version')
    return True


def missing_on(mod, artifacts_by_node):
    """Sorted names of the nodes whose artifact listing lacks ``mod`` (never any for a bundled module)."""
    if mod.get('is_bundled') or artifacts_by_node is None:
        return []
    key = (mod.get('module_name'), _version(mod))
    return sorted(node for node, present in artifacts_by_node.items() if key not in present)


def fits(mod, db_version):
    """The server's Redis-version rule; a module naming no Redis version fits (nothing to refuse it by)."""
    verdict = _redis_version.fits(mod, db_version)
    return True if verdict is None else verdict


def describe(mod, db_version, artifacts_by_node):
    """``2.0.0 (compatible_redis_version "8.0": does not fit Redis 8.2)``, ``1.0.0 (artifact missing on n2)``."""
    return '%s (%s)' % (_semver(mod), why_not(mod, db_version, artifacts_by_node) or 'allowed')


def why_not(mod, db_version, artifacts_by_node):
    """Why ``mod`` is not allowed for a database at ``db_version`` ('' when it is)."""
    reasons = []
    if not fits(mod, db_version):
        reasons.append('%s: does not fit Redis %s' % (_redis_version.describe_fields(mod), _redis_version.label(db_version)))
    missing = missing_on(mod, artifacts_by_node)
    if missing:
        reasons.append('artifact missing on %s' % ', '.join(missing))
    return '; '.join(reasons)


class Plan(object):
    """The outcome of ``plan()``.

    ``upgrades``: ``[{module_name, from, to, from_version, to_version}]`` for the modules that change;
    ``before``/``after``: the module_list as ``entry_view`` dicts; ``problems``: messages, each naming
    the database and saying what to do (non-empty: the upgrade must not be sent); ``undetermined``:
    messages for the modules whose current version the database does not tell (non-empty: nothing is
    sent, and that is not a failure); ``changed``: whether an upgrade would change anything.
    """

    def __init__(self, database, redis_version, before, after, upgrades, problems, undetermined=None):
        self.database = database
        self.redis_version = redis_version
        self.before = before
        self.after = after
        self.upgrades = upgrades
        self.problems = problems
        self.undetermined = undetermined or []

    @property
    def changed(self):
        return bool(self.upgrades) and not self.undetermined

    def __repr__(self):
        return 'Plan(%s, upgrades=%r, problems=%r)' % (self.database, self.upgrades, self.problems)


def plan(bdb, modules, artifacts_by_node=None):
    """What ``POST /v1/bdbs/<uid>/upgrade`` with the database's own Redis version would do.

    ``bdb``: a bdb object (``name``, ``redis_version``/``version``, ``module_list``); ``modules``:
    ``GET /v1/modules``; ``artifacts_by_node``: ``{node name: set of (module_name, int version)}``
    from every node's artifact listing, or None when not checked.
    """
    name = bdb.get('name') or 'uid %s' % bdb.get('uid')
    modules = [mod for mod in modules or [] if isinstance(mod, dict)]
    before = module_list_view(bdb, modules)
    db_version = db_redis_version(bdb)
    if db_version is None:
        return Plan(name, None, before, before, [], [
            "database '%s' reports no readable Redis version (redis_version %r, version %r), so the module versions "
            "that fit it cannot be told; check the database with GET /v1/bdbs/%s"
            % (name, bdb.get('redis_version'), bdb.get('version'), bdb.get('uid'))])
    after = []
    upgrades = []
    problems = []
    undetermined = []
    for entry in bdb.get('module_list') or []:
        module_name = entry.get('module_name')
        current = current_module(entry, modules, db_version)
        current_version = _version(current) if current else None
        in_use = entry_view(entry, current)['semantic_version']
        versions = sorted((mod for mod in modules if mod.get('module_name') == module_name),
                          key=lambda mod: _version(mod) or 0)
        if current is None and not entry.get('module_id') and not entry.get('semantic_version') and versions:
            undetermined.append(
                "database '%s' does not report which version of %s it uses (its module_list entry has neither module_id "
                "nor semantic_version, and the cluster holds %s), so no upgrade was sent for it: check it with rladmin "
                "status modules, and upgrade it there (rladmin upgrade db %s) if it needs it"
                % (name, module_name, ', '.join(_semver(mod) for mod in versions), name))
            after.append(entry_view(entry, current))
            continue
        allowed = [mod for mod in versions if fits(mod, db_version) and not missing_on(mod, artifacts_by_node)]
        if not allowed:
            problems.append(
                "database '%s' (Redis %s) uses %s %s, and no version of %s can be used for it: %s. Upload a version built "
                "for Redis %s to the cluster and to every node (redis_user_module and redis_module_artifact, or the "
                "module_lifecycle role), then run again"
                % (name, _redis_version.label(db_version), module_name, in_use, module_name,
                   ', '.join(describe(mod, db_version, artifacts_by_node) for mod in versions) or 'the cluster has none',
                   _redis_version.label(db_version)))
            after.append(entry_view(entry, current))
            continue
        target = allowed[-1]
        if current_version is not None and _version(target) < current_version:
            problems.append(
                "database '%s' uses %s %s, but the newest version an upgrade could use is %s, which would be a downgrade "
                "(Redis Enterprise refuses it: module_downgrade_unsupported); %s %s itself is not allowed: %s. Upload %s "
                "%s's package to every node (redis_module_artifact), then run again"
                % (name, module_name, in_use, _semver(target), module_name,
                   in_use, why_not(current, db_version, artifacts_by_node) or 'unknown reason',
                   module_name, in_use))
            after.append(entry_view(entry, current))
            continue
        after.append(dict(module_name=module_name, semantic_version=target.get('semantic_version')))
        if current_version is None or _version(target) != current_version:
            upgrades.append({'module_name': module_name, 'from': in_use,
                             'to': target.get('semantic_version'), 'from_version': current_version,
                             'to_version': _version(target)})
    return Plan(name, _redis_version.label(db_version), before, after, upgrades, problems, undetermined)


def select_databases(bdbs, modules, artifacts_by_node, wanted, module_names=None):
    """Which databases of one cluster to upgrade, and to what (the role's module_lifecycle_upgrade_databases).

    ``wanted``: False (none), True (every database that uses an older version of one of ``module_names``,
    or of any user-defined module when None), or a list of database names (each must exist). Returns
    ``{'upgrades': [{'uid', 'name', 'redis_version', 'upgrades'}] (by uid, one database at a time),
    'unchanged': [names], 'problems': [messages], 'warnings': [messages]}``; a database with a problem is not in
    ``upgrades``; one whose module versions cannot be told is in ``unchanged``, with a warning.
    """
    out = dict(upgrades=[], unchanged=[], problems=[], warnings=[])
    if wanted is False or wanted is None:
        return out
    bdbs = sorted((b for b in bdbs or [] if isinstance(b, dict)), key=lambda b: coerce_version(b.get('uid'), 0) or 0)
    if wanted is True:
        user_defined = set(m.get('module_name') for m in modules or [] if isinstance(m, dict) and not m.get('is_bundled'))
        names = set(module_names) if module_names is not None else user_defined
        chosen = [b for b in bdbs if any(e.get('module_name') in names for e in b.get('module_list') or [])]
    else:
        by_name = dict((b.get('name'), b) for b in bdbs)
        missing = [name for name in wanted if name not in by_name]
        if missing:
            out['problems'].append('no database named %s on the cluster (its databases: %s): fix '
                                   'module_lifecycle_upgrade_databases' % (', '.join("'%s'" % n for n in missing),
                                                                           ', '.join(sorted(by_name)) or 'none'))
        chosen = [by_name[name] for name in wanted if name in by_name]
    for bdb in chosen:
        decided = plan(bdb, modules, artifacts_by_node)
        if decided.undetermined and not decided.problems:
            out['warnings'].extend(decided.undetermined)
            out['unchanged'].append(decided.database)
            continue
        if wanted is True and not decided.problems and module_names is not None and \
                not any(u['module_name'] in module_names for u in decided.upgrades):
            out['unchanged'].append(decided.database)
            continue
        if decided.problems:
            out['problems'].extend(decided.problems)
        elif decided.changed:
            out['upgrades'].append(dict(uid=bdb.get('uid'), name=decided.database, redis_version=decided.redis_version,
                                        upgrades=decided.upgrades))
        else:
            out['unchanged'].append(decided.database)
    return out


# Where an action ends (the action object reference): only ``completed`` applied the change.
FINAL_ACTION_STATUSES = ('completed', 'failed', 'aborted', 'cancelled')


def action_progress(value):
    """An action's ``progress`` as a number: a real server writes a string (``"100"``, ``"42.5"``); None when absent or
    unreadable.

    >>> action_progress("100"), action_progress(42.5), action_progress(""), action_progress(None)
    (100.0, 42.5, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def action_step(action):
    """``{status, progress}`` of an action object, progress as a number."""
    action = action if isinstance(action, dict) else {}
    return dict(status=action.get('status'), progress=action_progress(action.get('progress')))


def action_reason(action):
    """Why an action did not complete, in the server's words: ``error_message`` with ``error_code`` (the action object
    of ``GET /v1/actions/<uid>``), else the ``error`` of a v2 action (``additional_info.error``) or an older ``error``
    field, else its ``state``; for an aborted or cancelled action without a reason, that status."""
    action = action if isinstance(action, dict) else {}
    info = action.get('additional_info') if isinstance(action.get('additional_info'), dict) else {}
    message = action.get('error_message') or info.get('error') or action.get('error')
    code = action.get('error_code')
    if message and code:
        return '%s (%s)' % (message, code)
    if message or code:
        return message or code
    if action.get('state'):
        return 'it stopped in state %s' % action['state']
    if action.get('status') in ('aborted', 'cancelled'):
        return 'the action was %s' % action['status']
    return 'the server gave no reason'


BUSY_STATUS = 409


def after_busy(status, replanned_changed, timed_out):
    """What to do after ``POST /v1/bdbs/<uid>/upgrade`` answered ``status`` (an HTTP status; None: the request was not
    refused), given the database as re-read since (``replanned_changed``: does it still need the upgrade? None: not
    re-read yet) and whether the wait is over: ``'send'`` (POST, again), ``'wait'`` (sleep, re-read the database,
    ask again), ``'done'`` (another run's upgrade brought it there: nothing to send), ``'timeout'`` or ``'fail'``.

    The server answers 409 (``bdb_busy`` in the emulator) while another action runs on the database, for example the
    same upgrade sent by a concurrent run (an AWX job slice): the database is re-read until it is free, and upgraded
    only if it still needs it, so an upgraded database is never upgraded a second time.

    >>> after_busy(409, None, False), after_busy(None, False, False), after_busy(None, True, False)
    ('wait', 'done', 'send')
    """
    if status is not None and status != BUSY_STATUS:
        return 'fail'
    if replanned_changed is False:
        return 'done'
    if status == BUSY_STATUS:
        return 'timeout' if timed_out else 'wait'
    return 'send'
