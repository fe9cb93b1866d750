# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of redis_module_artifact: checks the package on the controller, copies it only when needed.

A package may be 500 MB and there is one per node, so the copy to the managed host is the
expensive part. With ``src`` on the controller (the default):

1. the path is resolved (a role's ``files/``), decrypted when vaulted, and inspected here: a
   malformed package fails before anything reaches the node;
2. ``state: absent`` needs only the identity: the module runs with ``module_name``/``version``;
3. when the task runs on the controller itself (a ``local`` connection without become, which
   includes ``delegate_to: localhost``), the module gets the file in place;
4. otherwise the module first runs as a probe (``_package``: identity, architecture, operating
   systems, Redis versions; no file), which reads the node and answers whether an upload is needed. Only then,
   and never in check mode, the file goes to the remote temporary directory and the module runs
   again with it. The temporary files are removed in every case.

With ``download`` (a url and checksum) instead of ``src``, the package is fetched into the controller's package
cache first (plugin_utils._download: one download per checksum, however many hosts run the task) and that copy is
used as ``src``. With ``remote_src: true`` the module runs unchanged and inspects the path on the managed host.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._connection import refused_url
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._controller_package import (
    controller_package, downloaded_problem, fetch_download, find_package)
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._download import DownloadError

MODULE = 'redisops.custom_modules.redis_module_artifact'
# Connection plugins whose "remote" host is the controller itself.
CONTROLLER_TRANSPORTS = frozenset(['local'])


class ActionModule(ActionBase):

    # The remote temporary directory is made only when the package has to be copied.
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = dict()
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # unused since Ansible 2.5

        module_args = dict(self._task.args)
        if '_package' in module_args:
            result.update(failed=True, msg='_package is private to the action plugin of %s: do not set it in a task' % MODULE)
            return result
        refused = refused_url(module_args)
        if refused:
            result.update(failed=True, changed=False, msg=refused)
            return result
        src = module_args.get('src')
        try:
            remote_src = boolean(module_args.get('remote_src', False), strict=True)
        except TypeError as exc:
            result.update(failed=True, msg='remote_src: %s' % to_text(exc))
            return result
        # Option conflicts are left to the module, so users see its messages.
        conflicting = [name for name in ('module_name', 'version') if module_args.get(name) is not None]
        download = module_args.pop('download', None)
        fetched_warnings, shown = [], None
        if download is not None:
            try:
                src, result['download'], fetched_warnings = fetch_download(download, src, remote_src, conflicting, 'src')
            except DownloadError as exc:
                result.update(failed=True, changed=False, msg=exc.msg)
                return result
            shown = result['download']['url']
            module_args['src'] = src
        if src is None or remote_src or conflicting:
            result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
            return result

        try:
            source = src if download is not None else find_package(self, src, 'src')
        except AnsibleError as exc:
            result.update(failed=True, changed=False, src=src, msg=to_text(exc))
            return result

        try:
            # package.path is the readable file: a vaulted package's decrypted copy lives until the block ends.
            with controller_package(self._loader, source) as package:
                result.update(self._run_module(module_args, package, package.path, task_vars))
                warnings = list(result.get('warnings') or []) + fetched_warnings + list(package.warnings)
                if warnings:
                    result['warnings'] = warnings
        except ArtifactError as exc:
            text = exc.msg if download is None else downloaded_problem(exc.msg, src, shown)
            result.update(failed=True, changed=False, src=src, msg='invalid module package %s' % text)
        except AnsibleError as exc:
            result.update(failed=True, changed=False, src=src, msg=to_text(exc))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def runs_on_controller(self):
        """Whether the module will run on this machine as this user, so it can read the file in place."""
        transport = getattr(self._connection, 'transport', None)
        return transport in CONTROLLER_TRANSPORTS and not self._play_context.become

    def _run_module(self, module_args, package, real, task_vars):
        module_args = dict(module_args)
        if module_args.get('state', 'present') == 'absent':
            del module_args['src']
            module_args.update(module_name=package.module_name, version=package.version)
            return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)

        if self.runs_on_controller():
            module_args['src'] = real
            return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)

        probe_args = dict(module_args)
        del probe_args['src']
        probe_args['_package'] = package.facts()
        probe = self._execute_module(module_name=MODULE, module_args=probe_args, task_vars=task_vars)
        if probe.get('failed') or not probe.pop('upload_required', False) or self._task.check_mode:
            probe.pop('upload_required', None)
            return probe

        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        # The multipart upload sends the file's name: keep the package's own.
        remote_path = self._connection._shell.join_path(tmpdir, os.path.basename(module_args['src']))
        self._transfer_file(real, remote_path)
        self._fixup_perms2((tmpdir, remote_path))
        module_args['src'] = remote_path
        module_result = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        module_result.pop('upload_required', None)
        return module_result
