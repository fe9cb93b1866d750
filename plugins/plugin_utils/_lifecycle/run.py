# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The state of one run of the module_lifecycle role for one batch of hosts: the class ``Run``.

The role keeps it between tasks as a registered result (``_module_lifecycle_run``): a dict of plain JSON data. The
read pass builds it (``Run.new``), every step reads it back with ``Run.from_fact`` (the one copy: the fact the step
got is never changed) and hands ``run.fact()`` back to the role. This module is private to this collection.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping


# Keys of a registered result that are never read: ansible-core 2.21 marks ``skipped_reason`` (set on a loop with no
# items) deprecated, and reading it through a templated container prints the deprecation.
UNREAD_RESULT_KEYS = ('skipped_reason',)


def plain(value):
    """A copy of ``value`` made of plain dicts and lists (leaves shared: they are immutable).

    The run and registered results reach the filters as ansible-core's templated containers (2.19+). Deep-copying
    those copies their templating machinery too (on 2.21, a deprecation about plugin loaders with aliases); this
    copies only the data, and leaves out ``UNREAD_RESULT_KEYS``.
    """
    if isinstance(value, Mapping):
        return dict((key, plain(value[key])) for key in value if key not in UNREAD_RESULT_KEYS)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


class Run(dict):
    """The run's state. It is a dict (the fact the role keeps) with names for its parts::

        present        [package entry]: each present item as its package says (Package.entry(): src, module_name,
                       version, semantic_version, architecture, operating_systems, state, size, redis_fields, key,
                       label)
        absent         [entry]: each absent item (module_name, version, semantic_version, state, key, label)
        clusters       [cluster], in batch order:
                         name, leader (its first host: the cluster's reads and writes go through it), url, hosts,
                         modules ([{module_name, version, semantic_version, key, label}]: its user-defined module
                         objects), keys (theirs), create (keys of the objects to create), error (of its read),
                         allow_modules_upload (True/False once read, None: not read)
                         and, from later steps: upgrades ([{uid, name, redis_version, upgrades}]: the databases to
                         upgrade), upgraded ([{name, upgrades, changed, failed}]), cluster_check ({ok, prune,
                         problems, outside: [{uid, addr, url, label, keys, removals}]}: the whole-cluster read)
        nodes          {host: {cluster, url, keys (its artifacts), uploads, removals (keys), error, verified}}
        errors         {cluster: [text]}: what went wrong (the cluster's hosts fail with it at the end)
        changes        {cluster: [text]}: what changed, for the summary
        uploads_enabled  [cluster]: where a write of this run turned allow_modules_upload on
        verification   [{cluster, key, label, ccs, ready, total, lacking}]
        work           whether anything may have to be written (False: a no-op run ends after the read)
        check_problems, warnings   set by the steps check and remove_objects

    A key is a module version's identity, ``name/version`` (``_listing.ModuleVersion``).
    """

    @classmethod
    def new(cls, present, absent):
        return cls(present=present, absent=absent, clusters=[], nodes={}, errors={}, changes={}, uploads_enabled=[],
                   verification=[], work=False)

    @classmethod
    def from_fact(cls, fact):
        """The run of a registered ``_module_lifecycle_run`` (or of a Run): a copy, which the step may change."""
        return cls(plain(fact))

    @classmethod
    def view(cls, fact):
        """The run of a registered ``_module_lifecycle_run``, to read only (no copy of its parts)."""
        return fact if isinstance(fact, cls) else cls(fact)

    def fact(self):
        """The run as the role keeps it (a plain dict)."""
        return dict(self)

    # -- its parts ------------------------------------------------------------------------------------------
    def cluster(self, name):
        """The cluster called ``name``, or None."""
        for cluster in self['clusters']:
            if cluster['name'] == name:
                return cluster
        return None

    def node(self, host):
        """The node of ``host`` in this batch, or None."""
        return self['nodes'].get(host)

    def hosts_of(self, cluster):
        """The nodes of a cluster (a cluster dict) in this batch, ``[(host, node)]``."""
        return [(host, self['nodes'][host]) for host in cluster['hosts']]

    def packages(self, keys):
        """The present packages with these keys, in plan order."""
        return [pkg for pkg in self['present'] if pkg['key'] in keys]

    def present_keys(self):
        return [pkg['key'] for pkg in self['present']]

    def absent_keys(self):
        return set(entry['key'] for entry in self['absent'])

    # -- what happened ----------------------------------------------------------------------------------------
    def failed(self, cluster_name):
        """Whether the cluster has an error (its later steps are skipped)."""
        return bool(self['errors'].get(cluster_name))

    def errors_of(self, cluster_name):
        return _unique(self['errors'].get(cluster_name) or [])

    def changes_of(self, cluster_name):
        return list(self['changes'].get(cluster_name) or [])

    def error(self, cluster_name, text):
        self['errors'].setdefault(cluster_name, []).append(text)

    def change(self, cluster_name, text):
        self['changes'].setdefault(cluster_name, []).append(text)

    def note_gate(self, cluster_name, result):
        """A write's result that turned allow_modules_upload on (the summary restores or reports it)."""
        if result.get('allow_modules_upload_changed') and cluster_name not in self['uploads_enabled']:
            self['uploads_enabled'].append(cluster_name)

    # -- verification -------------------------------------------------------------------------------------------
    def verify(self, record_errors=False):
        """Every node of each cluster lists every present package, and the cluster has its module object.

        Sets ``verification`` and each node's ``verified``; with ``record_errors`` a failed check is an
        error of its cluster (the summary fails those hosts).
        """
        self['verification'] = []
        for cluster in self['clusters']:
            for pkg in self['present']:
                lacking = [host for host in cluster['hosts'] if pkg['key'] not in self['nodes'][host]['keys']]
                check = dict(cluster=cluster['name'], key=pkg['key'], label=pkg['label'], ccs=pkg['key'] in cluster['keys'],
                             ready=len(cluster['hosts']) - len(lacking), total=len(cluster['hosts']), lacking=lacking)
                self['verification'].append(check)
                if record_errors and lacking:
                    self.error(cluster['name'], 'verification: %s is not listed on %s (%d/%d nodes ready)'
                               % (pkg['label'], ', '.join(lacking), check['ready'], check['total']))
                if record_errors and not check['ccs']:
                    self.error(cluster['name'], 'verification: the cluster has no module object for %s' % pkg['label'])
        present_keys = self.present_keys()
        for node in self['nodes'].values():
            node['verified'] = not self.failed(node['cluster']) and all(key in node['keys'] for key in present_keys)
        return self


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
