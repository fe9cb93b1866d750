# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module_package lookup, with a real DataLoader: search path, vault decryption, inspector errors."""

import os
import shutil

import pytest

from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.redisops.custom_modules.plugins.lookup.module_package import LookupModule

SECRET = [("default", VaultSecret(b"correct horse battery staple"))]


def make_lookup(basedir, secrets=True):
    loader = DataLoader()
    loader.set_basedir(str(basedir))
    if secrets:
        loader.set_vault_secrets(SECRET)
    return LookupModule(loader=loader)


def vault_copy(src, dest):
    with open(src, "rb") as handle:
        data = handle.read()
    with open(dest, "wb") as handle:
        handle.write(VaultLib(SECRET).encrypt(data))
    return str(dest)


def expected(entry):
    return {key: entry[key] for key in ("module_name", "version", "semantic_version", "architecture", "operating_systems")}


def picked(result):
    return {key: result[key] for key in ("module_name", "version", "semantic_version", "architecture", "operating_systems")}


def test_absolute_paths_in_order(testmodules, tmp_path):
    v1, v2 = testmodules.v1, testmodules.v2
    results = make_lookup(tmp_path).run([v1["path"], v2["path"]], variables={})
    assert [picked(r) for r in results] == [expected(v1), expected(v2)]
    first = results[0]
    assert first["path"] == v1["path"]
    assert isinstance(first["version"], int) and first["version"] == 10000
    assert first["size"] == os.path.getsize(v1["path"])
    assert first["dependencies"] == []
    assert first["metadata"]["module_name"] == "hello" and first["metadata"]["version"] == 10000


def test_relative_path_is_found_in_files_of_the_search_path(testmodules, tmp_path):
    role = tmp_path / "roles" / "deploy"
    (role / "files").mkdir(parents=True)
    shutil.copy(testmodules.v2["path"], str(role / "files" / "hello.zip"))
    variables = {"ansible_search_path": [str(role), str(tmp_path)], "role_path": str(role)}
    (result,) = make_lookup(tmp_path).run(["hello.zip"], variables=variables)
    assert result["path"] == str(role / "files" / "hello.zip")
    assert result["version"] == 20000


def test_relative_path_falls_back_to_the_playbook_dir(testmodules, tmp_path):
    shutil.copy(testmodules.v1["path"], str(tmp_path / "hello.zip"))
    (result,) = make_lookup(tmp_path).run(["hello.zip"], variables={})
    assert result["path"] == str(tmp_path / "hello.zip")


def test_vaulted_package_is_decrypted_and_the_copy_removed(testmodules, tmp_path, monkeypatch):
    vaulted = vault_copy(testmodules.v1["path"], tmp_path / "hello.zip.vault")
    lookup = make_lookup(tmp_path)
    real_files = []
    get_real_file = lookup._loader.get_real_file

    def spy(path, decrypt=True):
        real = get_real_file(path, decrypt=decrypt)
        real_files.append(real)
        return real
    monkeypatch.setattr(lookup._loader, "get_real_file", spy)

    (result,) = lookup.run([vaulted], variables={})
    assert picked(result) == expected(testmodules.v1)
    assert result["path"] == vaulted
    assert result["size"] == os.path.getsize(testmodules.v1["path"])  # the package, not the vault envelope
    (real,) = real_files
    assert real != vaulted and not os.path.exists(real)
    assert os.path.exists(vaulted)


def test_vaulted_package_without_the_password(testmodules, tmp_path):
    vaulted = vault_copy(testmodules.v1["path"], tmp_path / "hello.zip.vault")
    with pytest.raises(AnsibleLookupError) as err:
        make_lookup(tmp_path, secrets=False).run([vaulted], variables={})
    assert "%s cannot be decrypted" % vaulted in str(err.value)


def test_bad_package_names_the_file_and_the_problem(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(AnsibleLookupError) as err:
        make_lookup(tmp_path).run([str(bad)], variables={})
    assert str(err.value).startswith("%s: not a zip file" % bad)


def test_bad_vaulted_package_names_the_users_file_not_the_decrypted_copy(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"garbage, but encrypted")
    vaulted = vault_copy(str(plain), tmp_path / "broken.zip")
    with pytest.raises(AnsibleLookupError) as err:
        make_lookup(tmp_path).run([vaulted], variables={})
    message = str(err.value)
    assert message.startswith("%s: not a zip file" % vaulted)
    assert str(tmp_path / "plain") not in message


def test_one_bad_package_fails_the_whole_lookup(testmodules, tmp_path):
    with pytest.raises(AnsibleLookupError) as err:
        make_lookup(tmp_path).run([testmodules.v1["path"], str(tmp_path / "missing.zip")], variables={})
    assert "module package %s not found on the controller" % (tmp_path / "missing.zip") in str(err.value)


def test_missing_relative_package(tmp_path):
    with pytest.raises(AnsibleLookupError) as err:
        make_lookup(tmp_path).run(["nope.zip"], variables={})
    assert "module package nope.zip not found on the controller" in str(err.value)
