# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An action plugin with Ansible's plumbing mocked: the task, the loader (file search, vault) and the connection.

`action_plugin(action, args, found, real=None, ...)` builds `action.ActionModule`: `found` is what the
role `files/` search returns (an exception to raise instead), `real` what decrypting it gives
(default: `found`, a file that is not vaulted). `inspect_package` patches the controller-side inspector.
"""

import posixpath
from unittest import mock

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _controller_package


@pytest.fixture
def action_plugin():
    def make(action, args, found, real=None, transport="ssh", become=False, check_mode=False):
        task = mock.MagicMock()
        task.args = dict(args)
        task.async_val = 0
        task.check_mode = check_mode
        task.action = action.MODULE
        loader = mock.MagicMock()
        if isinstance(found, Exception):
            loader.path_dwim_relative_stack.side_effect = found
        else:
            loader.path_dwim_relative_stack.return_value = found
        loader.get_real_file.return_value = real or found
        connection = mock.MagicMock()
        connection.transport = transport
        connection._shell.tmpdir = None
        connection._shell.join_path.side_effect = posixpath.join
        play_context = mock.MagicMock()
        play_context.become = become
        return action.ActionModule(task, connection, play_context, loader, mock.MagicMock(), None)
    return make


@pytest.fixture
def inspect_package(monkeypatch):
    """inspect_package(function): the action plugins inspect packages with ``function`` instead."""
    def patch(function):
        monkeypatch.setattr(_controller_package, "inspect_package", function)
    return patch
