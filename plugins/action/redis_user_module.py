# -*- coding: utf-8 -*-
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of redis_user_module: reads the package on the controller, sends only its metadata.

The module needs nothing from the zip but module.json, so instead of copying a package of up to
500 MB to the managed host, the package is resolved (role files/ search), decrypted when vaulted,
checked with the same inspector the module would use, and replaced by ``metadata`` in the module's
arguments. With ``download`` (a url and checksum), the package is fetched into the controller's package cache first
(plugin_utils._download) and read the same way. With ``remote_src: true`` (or without ``artifact`` or ``download``)
the module runs unchanged.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._connection import refused_url
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._controller_package import (
    downloaded_problem, fetch_download, find_package, package_metadata)
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._download import DownloadError

MODULE = 'redisops.custom_modules.redis_user_module'


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = dict()
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # unused since Ansible 2.5

        module_args = dict(self._task.args)
        refused = refused_url(module_args)
        if refused:
            result.update(failed=True, changed=False, msg=refused)
            return result
        artifact = module_args.get('artifact')
        warnings = []
        try:
            remote_src = boolean(module_args.get('remote_src', False), strict=True)
        except TypeError as exc:
            result.update(failed=True, msg='remote_src: %s' % to_text(exc))
            return result

        download = module_args.pop('download', None)
        if download is not None:
            conflicting = [name for name in ('metadata', 'module_name', 'version', 'semantic_version')
                           if module_args.get(name) is not None]
            try:
                path, result['download'], warnings = fetch_download(download, artifact, remote_src, conflicting, 'artifact')
            except DownloadError as exc:
                result.update(failed=True, changed=False, msg=exc.msg)
                return result
            try:
                metadata, more = self._controller_metadata(path, found=True)
            except (ArtifactError, AnsibleError) as exc:
                text = to_text(getattr(exc, 'msg', None) or exc)
                result.update(failed=True, changed=False, msg='artifact %s' % downloaded_problem(text, path, result['download']['url']))
                return result
            warnings.extend(more)
            module_args['metadata'] = metadata
        elif artifact is not None and not remote_src:
            # The module validates option combinations; conflicts are left to it, so its messages are the ones users see.
            conflicting = [name for name in ('metadata', 'module_name', 'version', 'semantic_version')
                           if module_args.get(name) is not None]
            if not conflicting:
                try:
                    metadata, warnings = self._controller_metadata(artifact)
                except AnsibleError as exc:
                    result.update(failed=True, msg=to_text(exc),
                                  artifact=artifact)
                    return result
                except ArtifactError as exc:
                    result.update(failed=True, msg='artifact %s' % to_text(exc.msg), artifact=artifact)
                    return result
                del module_args['artifact']
                module_args['metadata'] = metadata

        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        if warnings:
            result['warnings'] = list(result.get('warnings') or []) + warnings
        return result

    def _controller_metadata(self, artifact, found=False):
        return package_metadata(self._loader, artifact if found else find_package(self, artifact, 'artifact'))
