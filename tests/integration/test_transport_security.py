"""How the service talks to the outside: email over TLS with the mail server's
certificate checked (STARTTLS and TLS from the start), settings that refuse an unknown
environment name, and browsers told to use https everywhere but a developer's machine."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal import create_app
from portal.common.mail import Transport
from portal.config import ConfigError, load


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no system trusts: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test mail server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "mail.pem", folder / "mail.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Keep:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["starttls", "implicit"])
def tls_mail_server(request, tmp_path) -> Iterator[tuple[str, int, Keep, Path]]:
    """A real SMTP server on loopback with a self-signed certificate: STARTTLS required
    (port 587's way), or TLS from the first byte (port 465's way)."""
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    handler, port = Keep(), free_port()
    if request.param == "starttls":
        controller = Controller(handler, hostname="127.0.0.1", port=port,
                                tls_context=context, require_starttls=True)
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=port,
                                ssl_context=context)
    controller.start()
    try:
        yield request.param, port, handler, cert_file
    finally:
        controller.stop()


def send_one(mode: str, port: int, **settings: Any) -> None:
    app = create_app({"SECRET_KEY": "t" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                      "MAIL_USE_TLS": mode == "starttls", "MAIL_USE_SSL": mode == "implicit",
                      **settings})
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = (
        "dsr@example.org", "family@example.org", "Your link to sign in")
    email.set_content("A link that must not be read on the way.")
    with app.app_context():
        transport = Transport()
        try:
            transport.send(email)
        finally:
            transport.close()


def test_a_mail_server_whose_certificate_is_not_trusted_gets_nothing(tls_mail_server):
    mode, port, handler, _ = tls_mail_server
    with pytest.raises(ssl.SSLCertVerificationError):
        send_one(mode, port)
    assert handler.received == []


def test_a_mail_server_is_trusted_through_its_certificate_authority_file(tls_mail_server):
    mode, port, handler, cert_file = tls_mail_server
    send_one(mode, port, MAIL_CA_FILE=str(cert_file))
    (envelope,) = handler.received
    assert envelope.rcpt_tos == ["family@example.org"]
    assert b"must not be read on the way" in envelope.content


def test_the_mail_settings_are_read_from_the_environment(tmp_path):
    config = load({"PORTAL_ENV": "development", "MAIL_USE_SSL": "yes",
                   "MAIL_CA_FILE": str(tmp_path / "ca.pem")})
    assert config["MAIL_USE_SSL"] is True and config["MAIL_CA_FILE"] == str(tmp_path / "ca.pem")
    assert load({"PORTAL_ENV": "development"})["MAIL_USE_SSL"] is False


@pytest.mark.parametrize("name", ["prod", "Production2", "staging", "dev"])
def test_an_unknown_environment_name_is_refused(name):
    """"prod" used to run with none of production's checks and no HSTS."""
    with pytest.raises(ConfigError, match="PORTAL_ENV must be one of"):
        load({"PORTAL_ENV": name, "SECRET_KEY": "s" * 40})


@pytest.mark.parametrize(("environment", "hsts"), [("test", True), ("development", False)])
def test_browsers_are_told_to_use_https_everywhere_but_a_developers_machine(
        monkeypatch, environment, hsts):
    monkeypatch.setenv("PORTAL_ENV", environment)
    app = create_app({"SECRET_KEY": "t" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    response = app.test_client().get("/healthz")
    assert ("Strict-Transport-Security" in response.headers) is hsts
    if hsts:
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains")
