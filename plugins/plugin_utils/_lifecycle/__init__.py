# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every decision of the module_lifecycle role, in plain Python over plain data (no I/O).

The role's tasks only run modules and hand what they return to this package, through the
``redis_module_lifecycle_plan`` action plugin (the read pass) and the ``lifecycle_*`` filters (the steps after a
write). One file per concept:

run.py       ``Run``: the state of one run for one batch of hosts (its docstring is the schema), kept by the role
             as a registered result; built once by the read pass, copied once per step (``Run.from_fact``)
items.py     the role's settings and module_lifecycle_artifacts, checked, each package an entry of the run
plan.py      the read pass: the batch grouped into clusters, what each cluster and node needs (``plan``)
checks.py    the checks before any write (each node against its packages, the upload gate, the upload limit)
step.py      ``Step``: the base class of the steps after the read pass (``todo``/``record``, the options they take)
writes.py    the steps check, cluster and nodes (check.yml, cluster.yml, nodes.yml)
removal.py   the steps cluster_read, remove_objects, remove_artifacts and remove_outside (cluster_read.yml, remove.yml,
             remove_artifacts.yml)
upgrades.py  the database upgrades: their plan, and the steps upgrade, upgrade_waiting and upgrade_round
report.py    the summary, the steps errors and restore (errors.yml, summary.yml), the drift report (status)
steps.py     the table of the steps the filters look up, and the deprecated names of release 0.1.0

A package is an ``_artifact.Package`` (read once by the controller's inspector); a module version's identity is a
``_listing.ModuleVersion`` (its key ``name/version``). This package is private to this collection.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
