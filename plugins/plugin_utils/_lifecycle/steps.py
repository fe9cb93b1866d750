# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The table of the module_lifecycle role's steps, which the ``lifecycle_todo`` and ``lifecycle_record`` filters
look up, and the names of release 0.1.0 kept as deprecated aliases for one release.

Each step is a class of the file of its concept (``writes``, ``removal``, ``upgrades``, ``report``), named after
the task file that runs it. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.removal import ClusterRead, RemoveArtifacts, RemoveObjects, RemoveOutside
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.report import Errors, Restore
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.step import StepError
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.upgrades import Upgrade, UpgradeRound, UpgradeWaiting
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.writes import Check, Cluster, Nodes


STEPS = dict((step.name, step) for step in (
    Check(), Cluster(), Nodes(), ClusterRead(), Upgrade(), UpgradeWaiting(), UpgradeRound(), RemoveObjects(),
    RemoveArtifacts(), RemoveOutside(), Restore(), Errors()))

# 0.1.0's names, deprecated (removed in 0.3.0): lifecycle_todo's ``what`` and lifecycle_record's ``step``
TODO_ALIASES = {'creates': 'cluster', 'uploads': 'nodes', 'object_removals': 'remove_objects',
                'artifact_removals': 'remove_artifacts', 'cluster_reads': 'cluster_read',
                'outside_removals': 'remove_outside', 'upgrade_rounds': 'upgrade', 'upgrades': 'upgrade_round',
                'upgrades_waiting': 'upgrade_waiting'}
RECORD_ALIASES = {'checks': 'check', 'creates': 'cluster', 'uploads': 'nodes', 'objects_removed': 'remove_objects',
                  'artifacts_removed': 'remove_artifacts', 'upgrades': 'upgrade_round', 'cluster_nodes': 'cluster_read',
                  'outside_removed': 'remove_outside'}
# 0.1.0's record steps that took the C(results) of one loop instead of each host's registered result
FLAT_RESULTS = ('creates', 'objects_removed', 'cluster_nodes', 'outside_removed')
ALIASES_REMOVED_IN = '0.3.0'


def find(name, aliases, where):
    """``(step, alias)``: the step called ``name``, or through a 0.1.0 alias (``alias`` is then the old name)."""
    if name in STEPS:
        return STEPS[name], None
    if name in aliases:
        return STEPS[aliases[name]], name
    asks = where in ('lifecycle_todo', 'lifecycle_idle')
    valid = sorted(step.name for step in STEPS.values() if asks or step.records)
    deprecated = ' (deprecated names of 0.1.0: %s)' % ', '.join(sorted(aliases)) if aliases else ''
    raise StepError('%s: %s must be one of %s%s, not %s' % (
        where, 'what' if asks else 'step', ', '.join(valid), deprecated, name))


def alias_message(where, alias, step):
    return ("%s: '%s' is the name of release 0.1.0 for the step '%s'; use '%s' (the old name is removed in %s)"
            % (where, alias, step.name, step.name, ALIASES_REMOVED_IN))


def old_options(options, takes):
    """0.1.0's filters took every option for every step and ignored those a step did not use: so do its aliases."""
    return dict((name, value) for name, value in options.items() if name in takes)


def todo_alias(step, run, options):
    return step.call_todo(run, old_options(options, step.todo_options))


def record_alias(step, alias, run, results, hosts, options):
    """A record through a 0.1.0 name: those steps also took the ``results`` of one loop, without hosts."""
    options = old_options(options, step.record_options)
    if alias in FLAT_RESULTS and hosts is None:
        return step.call_record(run, [{'results': list(results or [])}], ['(once)'], options)
    return step.call_record(run, results, hosts, options)
