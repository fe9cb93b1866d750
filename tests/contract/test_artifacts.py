# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: GET/POST /v2/local/modules/user-defined/artifacts and DELETE .../<module_name>/<version>."""

import base64
import hashlib
import json
import os
import zipfile

import pytest

from tests.contract.helpers import (ARTIFACTS, DROP, EM_AARCH64, Api, assert_error, bdb_body, build_zip, elf_blob, metadata,
                                    raw_request)


def _listing(api):
    resp = api.get(ARTIFACTS)
    assert resp.status_code == 200
    return {(a["module_name"], a["version"]): a for a in resp.json()}


def test_upload_200_and_listing(api, shared_emu, tmp_path):
    path = build_zip(tmp_path / "a.zip", metadata("art1", 10000.0))
    resp = api.upload(path)
    assert resp.status_code == 200, resp.text
    entry = _listing(api)[("art1", 10000)]
    assert entry == {"module_name": "art1", "version": 10000, "dependencies": []}
    # per-node store: the other nodes do not have it
    assert ("art1", 10000) not in _listing(Api(shared_emu, "c1-node2"))


def test_reupload_overwrites_200(api, shared_emu, tmp_path):
    first = build_zip(tmp_path / "1.zip", metadata("art2"), so=elf_blob(size=300))
    second = build_zip(tmp_path / "2.zip", metadata("art2"), so=elf_blob(size=900))
    assert api.upload(first).status_code == 200
    assert api.upload(second).status_code == 200
    stored = os.path.join(shared_emu.state_dir, "nodes", "c1-node1", "artifacts", "art2", "10000", "package.zip")
    with open(stored, "rb") as got, open(second, "rb") as want:
        assert got.read() == want.read()


def test_upload_streams_large_file_intact(api, shared_emu, tmp_path):
    path = build_zip(tmp_path / "big.zip", metadata("big1"), so=elf_blob() + os.urandom(6 * 1024 * 1024), compress=zipfile.ZIP_STORED)
    mark = shared_emu.mark()
    assert api.upload(path).status_code == 200
    stored = os.path.join(shared_emu.state_dir, "nodes", "c1-node1", "artifacts", "big1", "10000", "package.zip")
    with open(stored, "rb") as got, open(path, "rb") as want:
        assert hashlib.sha256(got.read()).hexdigest() == hashlib.sha256(want.read()).hexdigest()
    log = [e for e in shared_emu.requests(mark) if e["method"] == "POST"]
    assert log[-1]["bytes"] > os.path.getsize(path)


def _auth_header(api):
    return "Authorization: Basic " + base64.b64encode(("%s:%s" % api.auth).encode()).decode()


def test_upload_with_expect_100_continue(api, shared_emu, tmp_path):
    path = build_zip(tmp_path / "e.zip", metadata("expect1"))
    with open(path, "rb") as handle:
        payload = handle.read()
    boundary = "xXxBoundaryxXx"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"module\"; filename=\"e.zip\"\r\n"
             "Content-Type: application/zip\r\n\r\n" % boundary).encode() + payload + ("\r\n--%s--\r\n" % boundary).encode())
    node = shared_emu.node("c1-node1")
    head = ["POST %s HTTP/1.1" % ARTIFACTS, "Host: %s:%d" % (node["address"], shared_emu.port), _auth_header(api),
            "Content-Type: multipart/form-data; boundary=%s" % boundary, "Content-Length: %d" % len(body),
            "Expect: 100-continue", "Connection: close"]
    interim, status, _raw = raw_request(shared_emu, "c1-node1", head, body, wait_continue=True)
    assert interim == 100
    assert status.startswith("HTTP/1.1 200"), status
    assert ("expect1", 10000) in _listing(api)


def test_upload_over_500_mib_400_without_reading_the_body(api, shared_emu):
    node = shared_emu.node("c1-node1")
    head = ["POST %s HTTP/1.1" % ARTIFACTS, "Host: %s" % node["address"], _auth_header(api),
            "Content-Type: multipart/form-data; boundary=b", "Content-Length: %d" % (600 * 1024 * 1024), "Expect: 100-continue"]
    interim, status, raw = raw_request(shared_emu, "c1-node1", head, wait_continue=True)
    assert interim is None and status.startswith("HTTP/1.1 400"), status
    assert b"module_too_large" in raw


def test_upload_file_part_over_500_mib_400(api, shared_emu):
    """The Content-Length passes the early check; the streamed file part itself is 500 MiB + 1 byte."""
    boundary = "bnd"
    head_part = ("--%s\r\nContent-Disposition: form-data; name=\"module\"; filename=\"big.zip\"\r\n\r\n" % boundary).encode()
    tail = ("\r\n--%s--\r\n" % boundary).encode()
    size = 500 * 1024 * 1024 + 1
    chunk = b"\0" * (1024 * 1024)

    def body():
        yield head_part
        sent = 0
        while sent < size:
            piece = chunk[:min(len(chunk), size - sent)]
            sent += len(piece)
            yield piece
        yield tail

    node = shared_emu.node("c1-node1")
    head = ["POST %s HTTP/1.1" % ARTIFACTS, "Host: %s" % node["address"], _auth_header(api),
            "Content-Type: multipart/form-data; boundary=%s" % boundary,
            "Content-Length: %d" % (len(head_part) + size + len(tail)), "Connection: close"]
    _interim, status, raw = raw_request(shared_emu, "c1-node1", head, body())
    assert status.startswith("HTTP/1.1 400"), status
    assert b"module_too_large" in raw


def test_upload_without_body_400_no_module(api):
    assert_error(api.post(ARTIFACTS), 400, "no_module")


def test_upload_wrong_field_400_no_module(api, tmp_path):
    path = build_zip(tmp_path / "w.zip", metadata("wrongfield"))
    assert_error(api.upload(path, field="file"), 400, "no_module", "module")


@pytest.mark.parametrize("case,status,code,text", [
    ("not_zip", 400, "invalid_module", "not a zip"),
    ("no_module_json", 400, "invalid_module", "module.json missing"),
    ("bad_json", 406, "invalid_module", "Failed to read module.json"),
    ("json_not_object", 406, "invalid_module", "Failed to read module.json"),
    ("no_name", 406, "module_name_missing", "empty module name"),
    ("no_version", 406, "module_version_missing", "version"),
    ("version_not_int", 406, "module_version_not_integer", "1.0.0"),
    ("os_list_invalid", 406, "module_os_list_invalid", "operating_systems"),
    ("no_commands", 406, "invalid_module", "'commands'"),
    ("no_semantic_version", 406, "invalid_module", "'semantic_version'"),
    ("module_file_absent", 400, "module_file_missing", "hello.so"),
    ("two_so", 400, "invalid_number_of_files", ".so"),
    ("not_elf", 400, "invalid_module", "not an ELF"),
    ("elf32", 406, "module_architecture_not_supported", "64 bits"),
    ("wrong_arch", 406, "module_architecture_not_supported", "aarch64"),
    ("missing_dependency", 406, "invalid_dependency_data", "Missing dependency y.tgz"),
    ("unsafe_member", 400, "invalid_module", "Unsafe"),
])
def test_upload_package_checks(api, tmp_path, case, status, code, text):
    path = str(tmp_path / "p.zip")
    meta = metadata("hello")
    if case == "not_zip":
        with open(path, "wb") as handle:
            handle.write(b"this is not a zip" * 10)
    elif case == "no_module_json":
        build_zip(path, meta, omit=("module.json",))
    elif case == "bad_json":
        build_zip(path, meta, raw_module_json="{\"module_name\": ")
    elif case == "json_not_object":
        build_zip(path, meta, raw_module_json="[1]")
    elif case in ("no_name", "no_version", "no_commands", "no_semantic_version"):
        field = {"no_name": "module_name", "no_version": "version", "no_commands": "commands", "no_semantic_version": "semantic_version"}[case]
        build_zip(path, metadata("hello", **{field: DROP}))
    elif case == "version_not_int":
        build_zip(path, metadata("hello", "1.0.0", semantic_version="1.0.0"))
    elif case == "os_list_invalid":
        build_zip(path, metadata("hello", operating_systems="ubuntu22"))
    elif case == "module_file_absent":
        build_zip(path, meta, omit=("hello.so",))
    elif case == "two_so":
        build_zip(path, metadata("hello", module_file=DROP), extra={"other.so": elf_blob()})
    elif case == "not_elf":
        build_zip(path, meta, so=b"#!/bin/sh\n" * 10)
    elif case == "elf32":
        build_zip(path, meta, so=elf_blob(bits=32))
    elif case == "wrong_arch":
        build_zip(path, meta, so=elf_blob(EM_AARCH64))
    elif case == "missing_dependency":
        build_zip(path, metadata("hello", dependencies={"gears_python": {"url": "http://x/y.tgz", "sha256": "0" * 64}}))
    elif case == "unsafe_member":
        build_zip(path, meta, extra={"../evil": b"x"})
    assert_error(api.upload(path), status, code, text)


def test_upload_os_not_supported_on_rhel9_node(shared_emu, tmp_path):
    rhel = Api(shared_emu, "c1-node3")
    rhel.allow_uploads(True)
    path = build_zip(tmp_path / "rg.zip", metadata("rg", operating_systems=["ubuntu22"]))
    assert_error(rhel.upload(path), 406, "os_not_supported",
                 "Module 'rg' is not compatible with this node's OS 'rhel9'. Supported operating systems: ['ubuntu22']")
    ok = build_zip(tmp_path / "rg9.zip", metadata("rg9"))
    assert rhel.upload(ok).status_code == 200


def test_upload_without_operating_systems_is_accepted(api, tmp_path):
    assert api.upload(build_zip(tmp_path / "n.zip", metadata("noos", operating_systems=DROP))).status_code == 200


def test_upload_architecture_checked_per_node(shared_emu, tmp_path):
    arm = Api(shared_emu, "c2-node1")
    arm.allow_uploads(True)
    x86 = build_zip(tmp_path / "x.zip", metadata("archx"))
    assert_error(arm.upload(x86), 406, "module_architecture_not_supported", "x86_64")
    aarch = build_zip(tmp_path / "a.zip", metadata("archx", architecture="aarch64"), so=elf_blob(EM_AARCH64))
    assert arm.upload(aarch).status_code == 200


def test_upload_with_dependency_200(api, shared_emu, tmp_path):
    meta = metadata("withdeps", dependencies={"gears_python": {"url": "http://x/y.tgz", "sha256": hashlib.sha256(b"tgz-bytes").hexdigest()}})
    path = build_zip(tmp_path / "d.zip", meta, extra={"deps/gears_python.tgz": b"tgz-bytes"})
    assert api.upload(path).status_code == 200
    assert _listing(api)[("withdeps", 10000)]["dependencies"] == ["gears_python"]
    extracted = os.path.join(shared_emu.state_dir, "nodes", "c1-node1", "artifacts", "withdeps", "10000", "deps", "gears_python.tgz")
    with open(extracted, "rb") as handle:
        assert handle.read() == b"tgz-bytes"


def test_upload_disabled_403_even_for_admin(api, tmp_path):
    path = build_zip(tmp_path / "d.zip", metadata("dis"))
    api.allow_uploads(False)
    try:
        assert_error(api.upload(path), 403, "modules_upload_disabled")
    finally:
        api.allow_uploads(True)


@pytest.mark.usefixtures("api")   # uploads enabled: the role check is what answers
@pytest.mark.parametrize("role", ["cluster_viewer", "db_member", "cluster_member"])
def test_upload_non_admin_403(shared_emu, tmp_path, role):
    path = build_zip(tmp_path / "r.zip", metadata("rolez"))
    assert_error(Api(shared_emu, "c1-node1", role).upload(path), 403, "insufficient_permissions")


@pytest.mark.parametrize("role", ["admin", "cluster_member", "cluster_viewer", "db_member", "db_viewer", "user_manager"])
def test_list_artifacts_every_role_200(shared_emu, role):
    resp = Api(shared_emu, "c1-node2", role).get(ARTIFACTS)
    assert resp.status_code == 200 and isinstance(resp.json(), list)


def test_list_artifacts_role_none_403(shared_emu):
    assert_error(Api(shared_emu, "c1-node2", "none").get(ARTIFACTS), 403, "insufficient_permissions")


def test_delete_artifact_200_then_404(api, tmp_path):
    assert api.upload(build_zip(tmp_path / "x.zip", metadata("delart", 20003))).status_code == 200
    resp = api.delete(ARTIFACTS + "/delart/20003")
    assert resp.status_code == 200 and resp.content == b""
    assert ("delart", 20003) not in _listing(api)
    assert_error(api.delete(ARTIFACTS + "/delart/20003"), 404, "module_not_found")


@pytest.mark.parametrize("version", ["1.0.0", "abc", "10000.0"])
def test_delete_artifact_version_not_int_404(api, version):
    assert_error(api.delete(ARTIFACTS + "/hello/" + version), 404, "not_found", "integer")


def test_delete_artifact_in_use_406(api, tmp_path):
    assert api.post("/v2/modules/user-defined", json=metadata("artuse")).status_code == 200
    assert api.upload(build_zip(tmp_path / "u.zip", metadata("artuse"))).status_code == 200
    bdb = api.post("/v1/bdbs", json=bdb_body("artuse-db", [{"module_name": "artuse"}])).json()
    assert_error(api.delete(ARTIFACTS + "/artuse/10000"), 406, "module_in_use", "artuse-db")
    api.delete("/v1/bdbs/%d" % bdb["uid"])
    assert api.delete(ARTIFACTS + "/artuse/10000").status_code == 200


def test_delete_artifact_viewer_403(shared_emu):
    assert_error(Api(shared_emu, "c1-node1", "viewer").delete(ARTIFACTS + "/x/1"), 403, "insufficient_permissions")


def test_artifact_metadata_recorded(api, shared_emu, tmp_path):
    path = build_zip(tmp_path / "m.zip", metadata("recorded"))
    assert api.upload(path).status_code == 200
    info_path = os.path.join(shared_emu.state_dir, "nodes", "c1-node1", "artifacts", "recorded", "10000", "artifact.json")
    with open(info_path) as handle:
        info = json.load(handle)
    with open(path, "rb") as handle:
        assert info["sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert info["architecture"] == "x86_64"
