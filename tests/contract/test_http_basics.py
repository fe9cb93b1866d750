# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract: authentication (401), unknown paths (404), wrong methods (405), TLS."""

import pytest
import requests

from tests.contract.helpers import ARTIFACTS, USER_DEFINED, assert_error

ENDPOINTS = [("GET", "/v1/modules"), ("GET", "/v1/modules/abc"), ("POST", USER_DEFINED), ("DELETE", USER_DEFINED + "/abc"),
             ("GET", ARTIFACTS), ("POST", ARTIFACTS), ("DELETE", ARTIFACTS + "/hello/10000"), ("GET", "/v1/cluster"),
             ("PUT", "/v1/cluster"), ("GET", "/v1/nodes"), ("GET", "/v1/bdbs"), ("POST", "/v1/bdbs"), ("DELETE", "/v1/bdbs/1")]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_missing_credentials_401(api, method, path):
    resp = api.call(method, path, auth=None)
    assert_error(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("auth", [("admin@redis.test", "wrong"), ("nobody-at-all", "x"), ("admin@redis.test", "")])
def test_wrong_credentials_401(api, auth):
    assert_error(api.get("/v1/modules", auth=auth), 401, "unauthorized")


def test_unknown_path_404(api):
    assert_error(api.get("/v1/nothing-here"), 404, "not_found")


@pytest.mark.parametrize("method,path", [("PUT", "/v1/modules"), ("DELETE", "/v1/cluster"), ("GET", USER_DEFINED),
                                         ("PATCH", ARTIFACTS), ("POST", "/v1/nodes")])
def test_wrong_method_405(api, method, path):
    resp = api.call(method, path)
    assert_error(resp, 405, "method_not_allowed")
    assert resp.headers.get("Allow")


def test_tls_verification_against_the_test_ca(api, shared_emu, tmp_path):
    node = shared_emu.node("c1-node2")
    assert requests.get(node["url"] + "/v1/nodes", auth=api.auth, verify=shared_emu.ca_file, timeout=10).status_code == 200
    other_ca = tmp_path / "other.pem"
    with open(requests.certs.where()) as handle:
        other_ca.write_text(handle.read())
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(node["url"] + "/v1/nodes", auth=api.auth, verify=str(other_ca), timeout=10)


def test_certificate_has_node_name_and_localhost(shared_emu):
    from cryptography import x509  # pylint: disable=import-outside-toplevel

    with open(shared_emu.state_dir + "/certs/c1-node2.pem", "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"c1-node2", "localhost"}
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == [shared_emu.node("c1-node2")["address"]]
