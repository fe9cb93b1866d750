# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils._download against a local HTTPS repository (tests/package_server.py) with its own test CA, and
_controller_package.fetch_download, the action plugins' way to it."""

import hashlib
import os
import threading
import zipfile

import pytest

from ansible_collections.redisops.custom_modules.plugins.plugin_utils import _download
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._controller_package import fetch_download
from ansible_collections.redisops.custom_modules.plugins.plugin_utils._download import Download, DownloadError, PackageCache

PASSWORD = "repo-Pa55word-never-shown"


@pytest.fixture
def package(tmp_path):
    path = tmp_path / "hello-1.0.0.zip"
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr("module.json", '{"module_name": "hello"}')
        archive.writestr("hello.so", os.urandom(3 * 1024 * 1024 + 17))
    return str(path)


def sha(path):
    with open(path, "rb") as handle:
        return "sha256:" + hashlib.sha256(handle.read()).hexdigest()


def options(url, checksum, **extra):
    return dict(url=url, checksum=checksum, **extra)


def fetch(tmp_path, opts):
    return PackageCache(str(tmp_path / "cache")).fetch(Download.from_options(opts))


def test_downloads_once_then_uses_the_verified_cache(tmp_path, package_server, package):
    server = package_server()
    url = server.publish("/repo/hello-1.0.0.zip", package)
    opts = options(url, sha(package), ca_path=server.ca_file)
    path, downloaded, warnings = fetch(tmp_path, opts)
    assert downloaded and not warnings
    assert os.path.basename(path) == "hello-1.0.0.zip"
    assert path.startswith(str(tmp_path / "cache" / "sha256" / sha(package)[7:]))
    with open(path, "rb") as got, open(package, "rb") as want:
        assert got.read() == want.read()
    assert oct(os.stat(os.path.dirname(os.path.dirname(path))).st_mode & 0o777) == "0o700"
    again, downloaded, dummy = fetch(tmp_path, opts)
    assert again == path and not downloaded
    assert server.count() == 1
    # no partial file left behind
    assert [n for n in os.listdir(str(tmp_path / "cache" / "sha256")) if n.endswith(".part")] == []


def test_a_cached_copy_is_verified_again_before_use(tmp_path, package_server, package):
    server = package_server()
    opts = options(server.publish("/hello.zip", package), sha(package), ca_path=server.ca_file)
    path, dummy, dummy = fetch(tmp_path, opts)
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"tampered")
    again, downloaded, warnings = fetch(tmp_path, opts)
    assert downloaded and server.count() == 2
    assert "no longer had checksum" in warnings[0]
    assert sha(again) == sha(package)


def test_concurrent_fetches_of_one_checksum_download_once(tmp_path, package_server, package):
    server = package_server()
    opts = options(server.publish("/hello.zip", package), sha(package), ca_path=server.ca_file)
    results = []

    def one():
        results.append(fetch(tmp_path, opts))

    threads = [threading.Thread(target=one) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.count() == 1
    assert sorted(r[1] for r in results) == [False, False, False, True]
    assert len(set(r[0] for r in results)) == 1


def test_checksum_mismatch_names_both_values_and_keeps_nothing(tmp_path, package_server, package):
    server = package_server()
    wrong = "sha256:" + "0" * 64
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(server.publish("/hello.zip", package), wrong, ca_path=server.ca_file))
    msg = info.value.msg
    assert wrong in msg and sha(package) in msg and "discarded" in msg
    assert "not a zip" not in msg
    assert not os.path.exists(str(tmp_path / "cache" / "sha256" / ("0" * 64)))
    assert [n for n in os.listdir(str(tmp_path / "cache" / "sha256")) if not n.endswith(".lock")] == []


def test_a_login_page_instead_of_the_zip_is_named(tmp_path, package_server, package):
    server = package_server()
    server.answer("/hello.zip", body=b"<!DOCTYPE html><html>Sign in</html>")
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(server.base_url + "/hello.zip", sha(package), ca_path=server.ca_file))
    assert "The body is not a zip (Content-Type text/html" in info.value.msg
    assert "<!DOCTYPE html>" in info.value.msg


@pytest.mark.parametrize("status, hint", [
    (404, "there is no file at that address"),
    (403, "not allowed to read this file"),
    (503, "try again later"),
])
def test_http_errors_give_the_status_and_what_to_do(tmp_path, package_server, package, status, hint):
    server = package_server()
    server.answer("/hello.zip", status=status, body=b"nope")
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(server.base_url + "/hello.zip", sha(package), ca_path=server.ca_file))
    assert "answered HTTP %d" % status in info.value.msg and hint in info.value.msg


def test_basic_auth_works_and_the_password_is_never_shown(tmp_path, package_server, package):
    server = package_server(username="ci", password=PASSWORD)
    url = server.publish("/hello.zip", package)
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(url, sha(package), ca_path=server.ca_file))
    assert "HTTP 401" in info.value.msg and "needs credentials" in info.value.msg
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(url, sha(package), ca_path=server.ca_file, url_username="ci", url_password="wrong-one"))
    assert "rejected the credentials" in info.value.msg and "wrong-one" not in info.value.msg
    path, downloaded, dummy = fetch(tmp_path, options(url, sha(package), ca_path=server.ca_file, url_username="ci",
                                                      url_password=PASSWORD))
    assert downloaded and sha(path) == sha(package)


def test_headers_are_sent_and_never_shown(tmp_path, package_server, package):
    server = package_server()
    server.required_header = ("X-JFrog-Art-Api", "token-abcdef")
    url = server.publish("/hello.zip", package)
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(url, "sha256:" + "1" * 64, ca_path=server.ca_file, headers={"X-JFrog-Art-Api": "token-abcdef"}))
    assert "checksum mismatch" in info.value.msg and "token-abcdef" not in info.value.msg
    assert server.requests[-1]["headers"]["X-JFrog-Art-Api"] == "token-abcdef"


def test_tls_failure_has_the_clusters_hints_in_the_repositorys_words(tmp_path, package_server, package):
    server = package_server()
    url = server.publish("/hello.zip", package)
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(url, sha(package)))
    msg = info.value.msg
    assert msg.startswith("TLS handshake with %s failed" % url)
    assert "set ca_path to the CA (or proxy certificate) that signed the certificate of the artifact repository" in msg
    assert server.count() == 0


def test_validate_certs_false_warns_when_credentials_are_sent(tmp_path, package_server, package):
    server = package_server(username="ci", password=PASSWORD)
    url = server.publish("/hello.zip", package)
    path, downloaded, warnings = fetch(tmp_path, options(url, sha(package), validate_certs=False, url_username="ci",
                                                         url_password=PASSWORD))
    assert downloaded and "receives the credentials" in warnings[0] and PASSWORD not in warnings[0]


def test_a_broken_download_keeps_nothing(tmp_path, package_server, package):
    server = package_server()
    url = server.publish("/hello.zip", package)
    server.answer("/hello.zip", cut_after=1024 * 1024 + 5)
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(url, sha(package), ca_path=server.ca_file))
    assert info.value.msg.startswith("the download of %s broke after " % url) and info.value.msg.endswith("Run again")
    assert [n for n in os.listdir(str(tmp_path / "cache" / "sha256")) if not n.endswith(".lock")] == []


def test_a_body_over_the_limit_is_refused(tmp_path, package_server, package, monkeypatch):
    monkeypatch.setattr(_download, "MAX_PACKAGE_BYTES", 1024 * 1024)
    server = package_server()
    url = server.publish("/hello.zip", package)
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options(url, sha(package), ca_path=server.ca_file))
    assert "larger than the 1048576 bytes" in info.value.msg and "nothing was kept" in info.value.msg


def test_unreachable_repository(tmp_path, package):
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path, options("https://127.0.0.1:1/hello.zip", sha(package), timeout=5))
    assert info.value.msg.startswith("cannot download https://127.0.0.1:1/hello.zip")


@pytest.mark.parametrize("opts, text", [
    (dict(url="http://repo.example.com/a.zip", checksum="sha256:" + "a" * 64), "uses plain HTTP"),
    (dict(url="ftp://repo.example.com/a.zip", checksum="sha256:" + "a" * 64), "is not an https:// address"),
    (dict(url="https:///a.zip", checksum="sha256:" + "a" * 64), "is not an https:// address"),
    (dict(url="https://repo.example.com:x/a.zip", checksum="sha256:" + "a" * 64), "invalid port"),
    (dict(url="https://repo.example.com/a.zip"), "checksum is required with url"),
    (dict(url="https://repo.example.com/a.zip", checksum="md5:" + "a" * 32), "only sha256 is accepted, not md5"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:abc"), "is not sha256:<64 hex digits>"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:" + "a" * 64, timeout=0), "timeout must be a positive"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:" + "a" * 64, url_password="x"), "without url_username"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:" + "a" * 64, headers="x"), "headers must be a dictionary"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:" + "a" * 64, ca_path="/nonexistent/ca.pem"), "is not a file"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:" + "a" * 64, validate_certs="maybe"), "must be true or false"),
    (dict(url="https://repo.example.com/a.zip", checksum="sha256:" + "a" * 64, src="x"), "unknown option(s) src"),
    (dict(checksum="sha256:" + "a" * 64), "url must be the https:// address"),
])
def test_bad_options_are_refused_before_any_connection(opts, text):
    with pytest.raises(DownloadError) as info:
        Download.from_options(opts, "item[0]: ")
    assert info.value.msg.startswith("item[0]: ") and text in info.value.msg


def test_http_is_accepted_only_when_allowed():
    download = Download.from_options(dict(url="http://repo/a.zip", checksum="sha256:" + "A" * 64, allow_http="yes"))
    assert download.allow_http and download.checksum == "sha256:" + "a" * 64


def test_messages_never_show_userinfo_query_or_secrets():
    download = Download.from_options(dict(url="https://u:hunter22@repo.example.com/m/a.zip?X-Amz-Signature=sig123",
                                          checksum="sha256:" + "a" * 64, headers={"Authorization": "Bearer tok123"},
                                          url_username="u", url_password="pw-secret"))
    assert download.shown == "https://repo.example.com/m/a.zip"
    text = download.redact("hunter22 X-Amz-Signature=sig123 Bearer tok123 pw-secret")
    assert "hunter22" not in text and "sig123" not in text and "tok123" not in text and "pw-secret" not in text


def test_file_names_and_default_cache_dir():
    assert _download.file_name("https://r/x/..%2F..%2Fetc%2Fpasswd") == "_.._etc_passwd"
    assert _download.file_name("https://r/") == "package.zip"
    assert _download.default_cache_dir({"XDG_CACHE_HOME": "/c"}) == "/c/redisops.custom_modules/packages"
    assert _download.default_cache_dir({}).endswith("/.cache/redisops.custom_modules/packages")


def test_an_unwritable_cache_is_named(tmp_path, package):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DownloadError) as info:
        PackageCache(str(blocker / "cache")).fetch(Download.from_options(options("https://r/a.zip", sha(package))))
    assert "cannot create the package cache" in info.value.msg and "module_lifecycle_package_cache" in info.value.msg


@pytest.mark.parametrize("path, remote_src, conflicting, text", [
    ("/pkgs/hello.zip", False, [], "give either src (a file) or download (a url and checksum), not both"),
    (None, True, [], "remote_src: true does not apply to it"),
    (None, False, ["module_name", "version"], "download names a package: module_name and version cannot be given with it"),
])
def test_fetch_download_refuses_options_that_do_not_fit_before_any_connection(monkeypatch, path, remote_src, conflicting, text):
    def no_fetch(*args):
        raise AssertionError("fetched although the options do not fit")
    monkeypatch.setattr(PackageCache, "fetch", no_fetch)
    with pytest.raises(DownloadError) as caught:
        fetch_download(options("https://repo.example/hello.zip", "sha256:" + "0" * 64), path, remote_src, conflicting, "src")
    assert text in caught.value.msg


def test_fetch_download_fetches_a_download_that_fits_into_the_cache(tmp_path, package_server, package):
    server = package_server()
    url = server.publish("/repo/hello-1.0.0.zip", package)
    download = options(url, sha(package), ca_path=server.ca_file, cache_dir=str(tmp_path / "cache"), headers=None)
    path, facts, warnings = fetch_download(download, None, False, [], "artifact")
    assert path.startswith(str(tmp_path / "cache")) and os.path.basename(path) == "hello-1.0.0.zip"
    assert facts["downloaded"] is True and facts["checksum"] == sha(package) and warnings == []
    assert server.count() == 1
