# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps of the module_lifecycle role after its read pass, one class each, and the table the filters use.

A step is named after the task file that runs it (``remove_objects``: the first step of ``remove.yml``). Its
``todo(run, **options)`` says what the step's looped task does (``lifecycle_todo``), its ``record(run, results,
hosts, **options)`` folds what that task registered back into the run (``lifecycle_record``). ``results`` has one
shape for every step: each host's registered result, in the order of ``hosts`` (a task that runs once gives its one
result and the host that ran it). An option a step does not take is refused (StepError), never ignored.

The names of release 0.1.0 (``creates``, ``objects_removed``...) are kept as aliases for one release: ``ALIASES`` maps
them to the step, and the record aliases also take 0.1.0's input shapes. This module is private to this collection.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _lifecycle as engine


class StepError(ValueError):
    """A call of a step that cannot be answered: unknown step or option, results that do not match their hosts."""


def pairs(results, hosts):
    """``[(host, registered)]``: each host's registered result (a mapping; anything else counts as nothing)."""
    if hosts is None or len(hosts) != len(results or []):
        raise StepError('hosts must give the host of each result')
    return list(zip(hosts, [result if isinstance(result, Mapping) else {} for result in results or []]))


def item_results(by_host):
    """The loop results of every host's registered result, in host order."""
    return [res for dummy, registered in by_host for res in registered.get('results') or []]


class Step(object):
    """One step: ``name`` (its task file), what it does, the options ``todo`` and ``record`` take."""

    name = None
    task_file = None
    doc = None
    todo_options = ()
    record_options = ()
    records = True

    def todo(self, run, **options):
        raise NotImplementedError

    def record(self, run, by_host, **options):
        raise NotImplementedError

    # -- the filters' entry points: options checked against what the step takes ------------------------------
    def call_todo(self, run, options):
        self._check(options, self.todo_options, 'lifecycle_todo')
        return self.todo(run, **options)

    def call_record(self, run, results, hosts, options):
        if not self.records:
            raise StepError("lifecycle_record: step '%s' has no results to record (it only answers lifecycle_todo)"
                            % self.name)
        self._check(options, self.record_options, 'lifecycle_record')
        return self.record(run, pairs(results, hosts), **options)

    def _check(self, options, takes, where):
        unknown = sorted(name for name, value in options.items() if name not in takes)
        if unknown:
            raise StepError("%s: step '%s' takes %s, not %s" % (
                where, self.name, ', '.join(takes) or 'no option', ', '.join(unknown)))


class Check(Step):
    name, task_file = 'check', 'check.yml'
    doc = 'the packages a node needs, checked in check mode on the node; record: their failures as check_problems'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return engine.host_uploads(run, host)

    def record(self, run, by_host):
        return engine.record_checks(run, by_host)


class Cluster(Step):
    name, task_file = 'cluster', 'cluster.yml'
    doc = 'the module objects to create ([{cluster, url, leader, pkg}]), with host those of the clusters it leads'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return engine.todo(run, host)

    def record(self, run, by_host):
        return engine.record_creates(run, item_results(by_host))


class Nodes(Step):
    name, task_file = 'nodes', 'nodes.yml'
    doc = 'the packages host must receive now (none when its cluster failed); record: the uploads, then verification'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return engine.host_uploads(run, host)

    def record(self, run, by_host):
        return engine.record_uploads(run, by_host)


class ClusterRead(Step):
    name, task_file = 'cluster_read', 'cluster_read.yml'
    doc = ('the clusters to read whole before upgrades and prune ([{cluster, url, leader, skip, upgrade, prune}]); '
           'record: whether each is complete')
    todo_options = ('host', 'prune')

    def todo(self, run, host=None, prune=False):
        return engine.cluster_reads(run, prune, host)

    def record(self, run, by_host):
        return engine.record_cluster_nodes(run, item_results(by_host))


class Upgrade(Step):
    name, task_file = 'upgrade', 'upgrade.yml'
    doc = 'the rounds of database upgrades due now ([0, 1, ...])'
    records = False

    def todo(self, run):
        return engine.upgrade_rounds(run)


class UpgradeWaiting(Step):
    name, task_file = 'upgrade_waiting', 'upgrade.yml'
    doc = 'lines naming the clusters whose database upgrades do not run now, and why'
    records = False

    def todo(self, run):
        return engine.upgrade_waiting(run)


class UpgradeRound(Step):
    name, task_file = 'upgrade_round', 'upgrade_round.yml'
    doc = ('the database host upgrades in round index ([{cluster, url, leader, uid, name, upgrades, node_urls, label}]); '
           'record: the round')
    todo_options = ('host', 'index')
    record_options = ('check_mode',)

    def todo(self, run, host=None, index=0):
        return engine.upgrade_todo(run, host, int(index))

    def record(self, run, by_host, check_mode=False):
        return engine.record_upgrades(run, by_host, bool(check_mode))


class RemoveObjects(Step):
    name, task_file = 'remove_objects', 'remove.yml'
    doc = ('the module objects to delete ([{cluster, url, leader, module_name, version, key, label, prune}]); record: '
           'the deletions, then each node\'s artifacts to delete')
    todo_options = ('host', 'prune')
    record_options = ('prune',)

    def todo(self, run, host=None, prune=False):
        return engine.object_removals(run, prune, host)

    def record(self, run, by_host, prune=False):
        return engine.record_object_removals(run, item_results(by_host), prune)


class RemoveArtifacts(Step):
    name, task_file = 'remove_artifacts', 'remove.yml'
    doc = 'the artifacts to delete from host ([{module_name, version, key}]); record: the deletions, verified'
    todo_options = ('host',)

    def todo(self, run, host=None):
        return engine.host_removals(run, host)

    def record(self, run, by_host):
        return engine.record_artifact_removals(run, by_host)


class RemoveOutside(Step):
    name, task_file = 'remove_outside', 'remove.yml'
    doc = ('the pruned artifacts to delete from the nodes outside the play ([{cluster, leader, node, url, module_name, '
           'version, key}]); record: the deletions')

    def todo(self, run):
        return engine.outside_removals(run)

    def record(self, run, by_host):
        return engine.record_outside_removals(run, item_results(by_host))


class Restore(Step):
    name, task_file = 'restore', 'summary.yml'
    doc = 'where to set allow_modules_upload back to false ([{cluster, via, url}]), through a host of hosts'
    todo_options = ('hosts',)
    records = False

    def todo(self, run, hosts=None):
        return engine.restore_targets(run, hosts or [])


class Errors(Step):
    name, task_file = 'errors', 'apply.yml'
    doc = 'the errors of the cluster of host (the host fails with them at the end of the run)'
    todo_options = ('host',)
    records = False

    def todo(self, run, host=None):
        return engine.cluster_errors(run, host)


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
    valid = sorted(step.name for step in STEPS.values() if where == 'lifecycle_todo' or step.records)
    raise StepError('%s: %s must be one of %s (deprecated names of 0.1.0: %s), not %s' % (
        where, 'what' if where == 'lifecycle_todo' else 'step', ', '.join(valid), ', '.join(sorted(aliases)), name))


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
