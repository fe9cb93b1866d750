# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A step of the module_lifecycle role after its read pass: the base class of the steps, one per task.

A step is named after the task file that runs it (``remove_objects``: the first step of ``remove.yml``). Its
``todo(run, **options)`` says what the step's looped task does (the ``lifecycle_todo`` filter), its ``record(run,
by_host, **options)`` folds what that task registered back into the run (``lifecycle_record``). The registered
results have one shape for every step: each host's registered result, in the order of ``hosts`` (a task that runs
once gives its one result and the host that ran it). An option a step does not take is refused (StepError), never
ignored. This module is private to this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.redisops.custom_modules.plugins.plugin_utils._lifecycle.run import Run


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
    # other task files that run the step (cluster_node.yml: the same step on the nodes, with run_from node)
    also_in = ()
    doc = None
    todo_options = ()
    record_options = ()
    records = True

    def todo(self, run, **options):
        """What the step's task does (a list), from the ``Run``."""
        raise NotImplementedError

    def record(self, run, by_host, **options):
        """Fold ``by_host`` (``[(host, registered)]``) into the ``Run`` (a copy, changed in place) and return it."""
        raise NotImplementedError

    def idle(self, run, hosts, **options):
        """Whether the step's task has nothing to do on any of ``hosts``: a task every host would skip.

        A step whose ``todo`` takes ``host`` is asked for each host; any other once.
        """
        if 'hosts' in self.todo_options:
            options = dict(options, hosts=list(hosts or []))
        if 'host' in self.todo_options:
            return not any(self.todo(run, host=host, **options) for host in hosts or [])
        return not self.todo(run, **options)

    # -- the filters' entry points: options checked against what the step takes ------------------------------
    def call_idle(self, run, hosts, options):
        """``idle`` of the fact ``run`` (read, never changed); ``host`` is not an option here (``hosts`` are)."""
        self._check(options, tuple(name for name in self.todo_options if name not in ('host', 'hosts')), 'lifecycle_idle')
        return self.idle(Run.view(run), list(hosts or []), **options)

    def call_todo(self, run, options):
        """``todo`` of the fact ``run`` (read, never changed)."""
        self._check(options, self.todo_options, 'lifecycle_todo')
        return self.todo(Run.view(run), **options)

    def call_record(self, run, results, hosts, options):
        if not self.records:
            raise StepError("lifecycle_record: step '%s' has no results to record (it only answers lifecycle_todo)"
                            % self.name)
        self._check(options, self.record_options, 'lifecycle_record')
        return self.record(Run.from_fact(run), pairs(results, hosts), **options).fact()

    def _check(self, options, takes, where):
        unknown = sorted(name for name, value in options.items() if name not in takes)
        if unknown:
            raise StepError("%s: step '%s' takes %s, not %s" % (
                where, self.name, ', '.join(takes) or 'no option', ', '.join(unknown)))
