# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test CA and per-node TLS certificates (EC P-256)."""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _write_private(path, data):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(path + ".tmp", path)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ensure_ca(state_dir, legacy=False):
    """Create (once) or load the test CA; returns (cert, key, ca_file path).

    ``legacy``: a CA made without a keyUsage extension, as many older self-made CAs are (``openssl req -x509`` with
    its default configuration). Python 3.13 and later refuse it by default (VERIFY_X509_STRICT: "CA cert does not
    include key usage extension"); earlier Pythons accept it. Only applies when the CA is created.
    """
    ca_file = os.path.join(state_dir, "ca.pem")
    key_file = os.path.join(state_dir, "ca-key.pem")
    if os.path.exists(ca_file) and os.path.exists(key_file):
        with open(ca_file, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        with open(key_file, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        return cert, key, ca_file
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "redisops.custom_modules"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Redis Enterprise emulator test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None if legacy else 0), critical=True))
    if not legacy:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    cert = (builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(key_file, _key_pem(key))
    with open(ca_file + ".tmp", "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(ca_file + ".tmp", ca_file)
    return cert, key, ca_file


def issue_node_cert(state_dir, ca_cert, ca_key, node_name, address):
    """Issue a server certificate for one node; returns (cert_file, key_file)."""
    cert_dir = os.path.join(state_dir, "certs")
    os.makedirs(cert_dir, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address)),
                                       x509.DNSName(node_name), x509.DNSName("localhost")])
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node_name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_file = os.path.join(cert_dir, node_name + ".pem")
    key_file = os.path.join(cert_dir, node_name + "-key.pem")
    _write_private(key_file, _key_pem(key))
    with open(cert_file, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
        handle.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    return cert_file, key_file
