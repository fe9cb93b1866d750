# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The redis_module_artifact action plugin: controller-side checks, probe, transfer only when needed, clean-up.

Ansible's plumbing (module execution, temporary directory, file transfer) is mocked; the package
inspection is the real one, on the real test module packages.
"""

import os
from unittest import mock

import pytest

from ansible.errors import AnsibleFileNotFound

from ansible_collections.redisops.custom_modules.plugins.action import redis_module_artifact as action

REMOTE_TMP = "/home/ops/.ansible/tmp/ansible-tmp-123-456"


@pytest.fixture
def make_plugin(action_plugin):
    def make(args, found, real=None, transport="ssh", become=False, check_mode=False, probe=None, final=None):
        plugin = action_plugin(action, args, found, real=real, transport=transport, become=become, check_mode=check_mode)
        connection = plugin._connection

        probe = dict(changed=False, upload_required=True) if probe is None else probe
        final = dict(changed=True, uploaded=True) if final is None else final

        def execute(module_name=None, module_args=None, task_vars=None):
            assert module_name == action.MODULE
            if "_package" in module_args:
                return dict(probe)
            return dict(final)

        def make_tmp():
            connection._shell.tmpdir = REMOTE_TMP
            return REMOTE_TMP

        plugin._execute_module = mock.MagicMock(side_effect=execute)
        plugin._make_tmp_path = mock.MagicMock(side_effect=make_tmp)
        plugin._transfer_file = mock.MagicMock()
        plugin._fixup_perms2 = mock.MagicMock()
        plugin._remove_tmp_path = mock.MagicMock()
        return plugin
    return make


def calls(plugin):
    return [c[1]["module_args"] for c in plugin._execute_module.call_args_list]


@pytest.fixture
def v1(testmodules):
    return testmodules.v1["path"]


def test_remote_upload_needed_probes_then_transfers(make_plugin, v1):
    plugin = make_plugin(dict(src="hello-1.0.0.zip", password="pw", allow_uploads=True), found=v1)
    result = plugin.run(task_vars={})
    assert result["changed"] is True and "upload_required" not in result
    probe, real_run = calls(plugin)
    assert "src" not in probe
    assert probe["_package"] == dict(module_name="hello", version=10000, semantic_version="1.0.0",
                                     architecture="x86_64", operating_systems=["rhel9", "ubuntu22"],
                                     dependencies=[], module_file="hello.so", compatible_redis_version="8.2",
                                     min_redis_version="7.0", size=os.path.getsize(v1))
    assert probe["password"] == "pw" and probe["allow_uploads"] is True
    assert real_run["src"] == REMOTE_TMP + "/hello-1.0.0.zip" and "_package" not in real_run
    plugin._transfer_file.assert_called_once_with(v1, REMOTE_TMP + "/hello-1.0.0.zip")
    plugin._fixup_perms2.assert_called_once_with((REMOTE_TMP, REMOTE_TMP + "/hello-1.0.0.zip"))
    plugin._remove_tmp_path.assert_called_with(REMOTE_TMP)
    assert plugin._loader.path_dwim_relative_stack.call_args[0][1:] == ("files", "hello-1.0.0.zip")


def test_remote_already_listed_skips_the_transfer(make_plugin, v1):
    plugin = make_plugin(dict(src="hello-1.0.0.zip"), found=v1, probe=dict(changed=False, artifacts=[]))
    result = plugin.run(task_vars={})
    assert result["changed"] is False
    assert len(calls(plugin)) == 1
    plugin._transfer_file.assert_not_called()
    plugin._make_tmp_path.assert_not_called()


def test_remote_check_mode_never_transfers(make_plugin, v1):
    plugin = make_plugin(dict(src="hello-1.0.0.zip"), found=v1, check_mode=True, probe=dict(changed=True, uploaded=True))
    result = plugin.run(task_vars={})
    assert result["changed"] is True
    assert len(calls(plugin)) == 1
    plugin._transfer_file.assert_not_called()


def test_remote_probe_failure_is_returned_without_transfer(make_plugin, v1):
    plugin = make_plugin(dict(src="hello-1.0.0.zip"), found=v1,
                         probe=dict(failed=True, msg="node 1 (127.0.0.11) cannot run hello"))
    result = plugin.run(task_vars={})
    assert result["failed"] is True and "cannot run" in result["msg"]
    plugin._transfer_file.assert_not_called()


def test_on_controller_uses_the_file_in_place(make_plugin, v1):
    plugin = make_plugin(dict(src="hello-1.0.0.zip"), found=v1, transport="local", become=False)
    plugin.run(task_vars={})
    (only,) = calls(plugin)
    assert only["src"] == v1 and "_package" not in only
    plugin._transfer_file.assert_not_called()


def test_local_with_become_transfers(make_plugin, v1):
    plugin = make_plugin(dict(src="hello-1.0.0.zip"), found=v1, transport="local", become=True)
    plugin.run(task_vars={})
    assert len(calls(plugin)) == 2
    plugin._transfer_file.assert_called_once()


def test_vaulted_package_is_decrypted_and_cleaned_up(make_plugin, v1):
    plugin = make_plugin(dict(src="hello.zip"), found="/play/files/hello.zip", real=v1)
    plugin.run(task_vars={})
    plugin._loader.get_real_file.assert_called_once_with("/play/files/hello.zip", decrypt=True)
    plugin._transfer_file.assert_called_once_with(v1, REMOTE_TMP + "/hello.zip")
    plugin._loader.cleanup_tmp_file.assert_called_once_with(v1)


def test_malformed_package_fails_and_nothing_runs(make_plugin, tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"not a zip at all")
    plugin = make_plugin(dict(src="broken.zip"), found=str(bad))
    result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].startswith("invalid module package %s: " % bad) and "not a zip" in result["msg"]
    plugin._execute_module.assert_not_called()
    plugin._transfer_file.assert_not_called()
    plugin._loader.cleanup_tmp_file.assert_called_once_with(str(bad))


def test_malformed_vaulted_package_names_the_source_not_the_decrypted_copy(make_plugin, tmp_path):
    decrypted = tmp_path / "tmpXYZ"
    decrypted.write_bytes(b"garbage")
    plugin = make_plugin(dict(src="broken.zip"), found="/play/files/broken.zip", real=str(decrypted))
    result = plugin.run(task_vars={})
    assert result["failed"] is True
    assert "/play/files/broken.zip" in result["msg"] and str(decrypted) not in result["msg"]


def test_missing_src_on_the_controller(make_plugin):
    plugin = make_plugin(dict(src="nope.zip"), found=AnsibleFileNotFound("Could not find or access 'nope.zip'"))
    result = plugin.run(task_vars={})
    assert result["failed"] is True and "not found on the controller" in result["msg"] and "remote_src" in result["msg"]
    plugin._execute_module.assert_not_called()


def test_absent_with_src_passes_the_identity_only(make_plugin, testmodules):
    plugin = make_plugin(dict(src="hello-2.0.0.zip", state="absent"), found=testmodules.v2["path"],
                         final=dict(changed=True))
    plugin.run(task_vars={})
    (only,) = calls(plugin)
    assert "src" not in only and only["module_name"] == "hello" and only["version"] == 20000
    plugin._transfer_file.assert_not_called()


@pytest.mark.parametrize("args", [
    dict(src="/var/tmp/hello.zip", remote_src=True),
    dict(state="absent", module_name="hello", version=10000),
    dict(src="hello.zip", module_name="hello"),  # conflict: the module reports it
])
def test_passes_through_unchanged(make_plugin, args):
    plugin = make_plugin(args, found="/unused")
    plugin.run(task_vars={})
    (only,) = calls(plugin)
    assert only == args
    plugin._loader.path_dwim_relative_stack.assert_not_called()


def test_private_option_is_refused(make_plugin):
    plugin = make_plugin(dict(src="x.zip", _package=dict(module_name="x")), found="/unused")
    result = plugin.run(task_vars={})
    assert result["failed"] is True and "private" in result["msg"]
    plugin._execute_module.assert_not_called()


def test_bad_remote_src_value(make_plugin):
    plugin = make_plugin(dict(src="x.zip", remote_src="maybe"), found="/unused")
    result = plugin.run(task_vars={})
    assert result["failed"] is True and "remote_src" in result["msg"]


def test_withdeps_package_probe_and_undeclared_dependency_warning(make_plugin, testmodules, tmp_path):
    """The probe carries the dependency of the real -withdeps package; an undeclared deps/ file is a warning, once."""
    import zipfile
    source = testmodules.withdeps["path"]
    extra = str(tmp_path / "hello-extra.zip")
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(extra, "w") as out:
        for info in archive.infolist():
            out.writestr(info, archive.read(info.filename))
        out.writestr("deps/extra.tgz", b"x")
    plugin = make_plugin(dict(src="hello-extra.zip"), found=extra)
    result = plugin.run(task_vars={})
    probe = calls(plugin)[0]
    assert probe["_package"]["dependencies"] == ["hello_data"]
    assert result["warnings"] == ["%s: deps/extra.tgz is not a declared dependency; Redis Enterprise extracts it with the module "
                                  "but nothing declares it" % extra]


@pytest.mark.parametrize("args, refused", [
    (dict(url="http://node1:9443", allow_http="no"), "uses plain HTTP"),
    (dict(url="node1:9443"), "has no scheme"),
    (dict(url="https://node1:9443#top"), "has a fragment"),
])
def test_refused_url_before_the_package_is_read_or_copied(make_plugin, v1, args, refused):
    plugin = make_plugin(dict(args, src="hello-1.0.0.zip"), found=v1)
    result = plugin.run(task_vars={})
    assert result["failed"] and refused in result["msg"] and "Nothing was sent" in result["msg"]
    plugin._loader.path_dwim_relative_stack.assert_not_called()
    plugin._execute_module.assert_not_called()
    plugin._transfer_file.assert_not_called()
