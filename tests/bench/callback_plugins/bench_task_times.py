# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: wall time and per-host results of every task, written as JSON to $BENCH_TASK_TIMES.

A task's time runs from its start to the start of the next task (or the end of the play), which is what the
strategy spends on it, workers and results included. Enabled by tests/bench/bench_fleet.py only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: bench_task_times
type: aggregate
short_description: time of each task, for the benchmarks
description: Writes each task's wall time and result counts to the file named by BENCH_TASK_TIMES.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_task_times'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.tasks = []
        self.started = time.monotonic()

    def _close(self):
        if self.tasks and 'seconds' not in self.tasks[-1]:
            self.tasks[-1]['seconds'] = round(time.monotonic() - self.tasks[-1]['start'], 3)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.tasks.append(dict(name=task.get_name(), start=time.monotonic(), results={}))

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _count(self, kind):
        if self.tasks:
            results = self.tasks[-1]['results']
            results[kind] = results.get(kind, 0) + 1

    def v2_runner_on_ok(self, result):
        self._count('changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_skipped(self, result):
        self._count('skipped')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count('failed')

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get('BENCH_TASK_TIMES')
        if not path:
            return
        total = round(time.monotonic() - self.started, 3)
        with open(path, 'w') as handle:
            json.dump(dict(total_s=total, tasks=[dict(name=t['name'], seconds=t['seconds'], results=t['results'])
                                                 for t in self.tasks]), handle, indent=1)
