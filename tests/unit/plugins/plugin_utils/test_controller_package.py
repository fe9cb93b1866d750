# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils._controller_package.fetch_download: the download option of the two action plugins."""

import hashlib
import os
import zipfile

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _download
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._controller_package import fetch_download
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._download import DownloadError


@pytest.mark.parametrize("path, remote_src, conflicting, text", [
    ("/pkgs/hello.zip", False, [], "give either src (a file) or download (a url and checksum), not both"),
    (None, True, [], "remote_src: true does not apply to it"),
    (None, False, ["module_name", "version"], "download names a package: module_name and version cannot be given with it"),
])
def test_options_that_do_not_fit_are_refused_before_any_connection(monkeypatch, path, remote_src, conflicting, text):
    def no_fetch(*args):
        raise AssertionError("fetched although the options do not fit")
    monkeypatch.setattr(_download.PackageCache, "fetch", no_fetch)
    with pytest.raises(DownloadError) as caught:
        fetch_download({"url": "https://repo.example/hello.zip", "checksum": "sha256:" + "0" * 64},
                       path, remote_src, conflicting, "src")
    assert text in caught.value.msg


def test_a_download_that_fits_is_fetched_into_the_cache(tmp_path, package_server):
    package = str(tmp_path / "hello-1.0.0.zip")
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("module.json", '{"module_name": "hello"}')
        archive.writestr("hello.so", os.urandom(4096))
    with open(package, "rb") as handle:
        checksum = "sha256:" + hashlib.sha256(handle.read()).hexdigest()
    server = package_server()
    url = server.publish("/repo/hello-1.0.0.zip", package)
    download = {"url": url, "checksum": checksum, "ca_path": server.ca_file, "cache_dir": str(tmp_path / "cache"),
                "headers": None}
    path, facts, warnings = fetch_download(download, None, False, [], "artifact")
    assert path.startswith(str(tmp_path / "cache")) and os.path.basename(path) == "hello-1.0.0.zip"
    assert facts["downloaded"] is True and facts["checksum"] == checksum and warnings == []
    assert server.count() == 1
