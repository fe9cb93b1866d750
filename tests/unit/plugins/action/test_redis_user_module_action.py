# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The redis_user_module action plugin: controller-side package reading, arguments handed to the module."""

from unittest import mock

import pytest

from ansible.errors import AnsibleFileNotFound

from ansible_collections.redisops.custom_modules.plugins.action import redis_user_module as action
from ansible_collections.redisops.custom_modules.plugins.module_utils._artifact import ArtifactError

METADATA = dict(module_name="hello", version=10000, semantic_version="1.0.0")


class FakePackage(object):
    metadata = METADATA
    warnings = []


@pytest.fixture
def make_plugin(action_plugin):
    def make(args, found="/play/files/hello-1.0.0.zip", real=None):
        plugin = action_plugin(action, args, found, real=real)
        plugin._execute_module = mock.MagicMock(return_value=dict(changed=True, module=METADATA))
        return plugin
    return make


def module_args(plugin):
    assert plugin._execute_module.call_count == 1
    kwargs = plugin._execute_module.call_args[1]
    assert kwargs["module_name"] == "redisops.custom_modules.redis_user_module"
    return kwargs["module_args"]


@pytest.fixture
def inspected(inspect_package):
    paths = []

    def inspect(path):
        paths.append(path)
        return FakePackage()
    inspect_package(inspect)
    return paths


def test_controller_artifact_becomes_metadata(make_plugin, inspected):
    plugin = make_plugin(dict(artifact="hello-1.0.0.zip", allow_uploads=True, password="pw"))
    result = plugin.run(task_vars={})
    assert result["changed"] is True
    args = module_args(plugin)
    assert "artifact" not in args and args["metadata"] == METADATA
    assert args["allow_uploads"] is True and args["password"] == "pw"
    plugin._loader.path_dwim_relative_stack.assert_called_once()
    assert plugin._loader.path_dwim_relative_stack.call_args[0][1:] == ("files", "hello-1.0.0.zip")
    assert inspected == ["/play/files/hello-1.0.0.zip"]


def test_vaulted_artifact_is_decrypted_then_cleaned_up(make_plugin, inspected):
    plugin = make_plugin(dict(artifact="hello.zip"), found="/play/files/hello.zip", real="/tmp/decrypted")
    plugin.run(task_vars={})
    plugin._loader.get_real_file.assert_called_once_with("/play/files/hello.zip", decrypt=True)
    plugin._loader.cleanup_tmp_file.assert_called_once_with("/tmp/decrypted")
    assert inspected == ["/tmp/decrypted"]


def test_absent_with_artifact_passes_identity(make_plugin, inspected):
    plugin = make_plugin(dict(artifact="hello.zip", state="absent"))
    plugin.run(task_vars={})
    args = module_args(plugin)
    assert args["state"] == "absent" and args["metadata"] == METADATA and "artifact" not in args


@pytest.mark.parametrize("args", [
    dict(artifact="/srv/hello.zip", remote_src=True),
    dict(artifact="/srv/hello.zip", remote_src="yes"),
    dict(metadata=METADATA),
    dict(state="absent", module_name="hello", version=10000),
    dict(artifact="hello.zip", metadata=METADATA),  # conflict: left to the module's own validation
])
def test_module_runs_unchanged(make_plugin, inspected, args):
    plugin = make_plugin(args)
    plugin.run(task_vars={})
    assert module_args(plugin) == args
    assert inspected == []


def test_bad_remote_src(make_plugin, inspected):
    plugin = make_plugin(dict(artifact="hello.zip", remote_src="maybe"))
    result = plugin.run(task_vars={})
    assert result["failed"] and "remote_src" in result["msg"]
    plugin._execute_module.assert_not_called()


def test_missing_artifact(make_plugin, inspected):
    plugin = make_plugin(dict(artifact="nope.zip"), found=AnsibleFileNotFound("Could not find or access 'nope.zip'"))
    result = plugin.run(task_vars={})
    assert result["failed"] and "nope.zip" in result["msg"] and "remote_src: true" in result["msg"]
    plugin._execute_module.assert_not_called()


def test_broken_package(make_plugin, inspect_package):
    def inspect(path):
        raise ArtifactError("%s: module.json missing" % path, path)
    inspect_package(inspect)
    plugin = make_plugin(dict(artifact="broken.zip"), found="/play/files/broken.zip")
    result = plugin.run(task_vars={})
    assert result["failed"] and "module.json missing" in result["msg"] and "broken.zip" in result["msg"]
    plugin._loader.cleanup_tmp_file.assert_called_once_with("/play/files/broken.zip")
    plugin._execute_module.assert_not_called()


def test_real_package(make_plugin, testmodules):
    path = testmodules.v1["path"]
    plugin = make_plugin(dict(artifact=path), found=path)
    plugin.run(task_vars={})
    metadata = module_args(plugin)["metadata"]
    assert (metadata["module_name"], metadata["version"], metadata["semantic_version"]) == ("hello", 10000, "1.0.0")
    assert metadata["commands"]


def test_broken_vaulted_package_names_the_source(make_plugin, inspect_package):
    def inspect(path):
        raise ArtifactError("%s: not a zip file" % path, path)
    inspect_package(inspect)
    plugin = make_plugin(dict(artifact="v.zip"), found="/play/files/v.zip", real="/tmp/ansible-decrypted-xyz")
    result = plugin.run(task_vars={})
    assert result["failed"] and result["msg"] == "artifact /play/files/v.zip: not a zip file"
    plugin._loader.cleanup_tmp_file.assert_called_once_with("/tmp/ansible-decrypted-xyz")


def test_package_warnings_are_reported_naming_the_users_file(make_plugin, inspect_package):
    """A vaulted package's warnings name the encrypted file the user gave, not the decrypted copy."""
    package = FakePackage()
    package.warnings = ["/tmp/decrypted: deps/extra.tgz is not a declared dependency"]
    inspect_package(lambda path: package)
    plugin = make_plugin(dict(artifact="hello.zip"), found="/play/files/hello.zip", real="/tmp/decrypted")
    result = plugin.run(task_vars={})
    assert result["warnings"] == ["/play/files/hello.zip: deps/extra.tgz is not a declared dependency"]


@pytest.mark.parametrize("args, refused", [
    (dict(url="http://node1:9443", allow_http=False), "uses plain HTTP"),
    (dict(url="ftp://node1:9443"), "has the scheme ftp"),
    (dict(url="https://node1:9443?x=1"), "has a query"),
])
def test_refused_url_before_the_package_is_read(make_plugin, inspected, args, refused):
    args = dict(args, artifact="hello.zip")
    plugin = make_plugin(args)
    result = plugin.run(task_vars={})
    assert result["failed"] and refused in result["msg"] and "Nothing was sent" in result["msg"]
    assert inspected == []
    plugin._loader.path_dwim_relative_stack.assert_not_called()
    plugin._execute_module.assert_not_called()


def test_http_without_allow_http_in_the_task_is_left_to_the_module(make_plugin, inspected):
    # REDIS_ENTERPRISE_ALLOW_HTTP may be set where the module runs: the module decides.
    plugin = make_plugin(dict(artifact="hello.zip", url="http://node1:8080"))
    plugin.run(task_vars={})
    assert module_args(plugin)["url"] == "http://node1:8080"
