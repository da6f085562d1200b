"""DNS rebinding on feed and web-page fetches: the guarded client resolves a name once,
checks the addresses and connects to a checked one; a second, different DNS answer is never
used. The resolver is the system one (``socket.getaddrinfo``, which the guard and the HTTP
library both call), replaced by one whose answer changes after the first lookup."""

import contextlib
import datetime as dt
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer

from scraping.collectors._guard import guarded_get
from sentimatrix.http import FetchError, HttpClient
from tests.playback import RecordingSleep

PUBLIC = "93.184.216.34"


class FlippingResolver:
    """Answers ``host`` with ``first`` on the first lookup and ``then`` on every later one;
    other names go to the real resolver."""

    def __init__(self, host: str, first: str, then: str):
        self.host, self.first, self.then = host, first, then
        self.answers: list[str] = []
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host != self.host:
            return self.real(host, port, *args, **kwargs)
        ip = self.then if self.answers else self.first
        self.answers.append(ip)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(port or 80)))]


@pytest.fixture
def dns(monkeypatch):
    def install(host, first, then):
        resolver = FlippingResolver(host, first, then)
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        return resolver

    return install


def client(**kwargs) -> HttpClient:
    return HttpClient(rate_limit_delay=0, timeout=2, max_retries=0, sleep=RecordingSleep(), **kwargs)


def test_a_public_answer_then_loopback_never_reaches_loopback(dns, httpserver, settings):
    settings.SCRAPING_ALLOW_LOOPBACK = False
    httpserver.expect_request("/feed").respond_with_data("<rss>internal</rss>")
    resolver = dns("feeds.rebind.test", first=PUBLIC, then="127.0.0.1")

    # The public address does not serve this port (or cannot be reached from here).
    with contextlib.suppress(FetchError):
        guarded_get(client(), f"http://feeds.rebind.test:{httpserver.port}/feed")

    assert httpserver.log == []  # the local server was never contacted
    assert resolver.answers == [PUBLIC]  # resolved once: the checked answer is the one used


def test_the_connection_goes_to_the_checked_address(dns, httpserver):
    """Loopback allowed (a test server), the second answer private: the request still goes
    to the first, checked, address, and names the host it asked for."""
    httpserver.expect_request("/page").respond_with_data("<p>reviews</p>")
    resolver = dns("shop.rebind.test", first="127.0.0.1", then="10.0.0.8")

    response, spent = guarded_get(
        client(allow_loopback=True), f"http://shop.rebind.test:{httpserver.port}/page"
    )

    assert response.text == "<p>reviews</p>" and spent == 1
    [(request, _)] = httpserver.log
    assert request.headers["Host"] == f"shop.rebind.test:{httpserver.port}"
    assert resolver.answers == ["127.0.0.1"]


def test_every_redirect_hop_is_pinned_to_its_own_checked_address(dns, httpserver):
    target = f"http://shop.rebind.test:{httpserver.port}/final"
    httpserver.expect_request("/start").respond_with_data("", status=302, headers={"Location": target})
    httpserver.expect_request("/final").respond_with_data("landed")
    dns("shop.rebind.test", first="127.0.0.1", then="10.0.0.8")

    response, spent = guarded_get(client(allow_loopback=True), httpserver.url_for("/start"))

    assert response.text == "landed" and spent == 2


def _tls_files(tmp_path, host):
    """A CA and a certificate for ``host`` signed by it: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now).not_valid_after(later)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = [tmp_path / name for name in ("ca.pem", "cert.pem", "key.pem")]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def test_https_to_the_pinned_address_verifies_the_certificate_of_the_host(dns, tmp_path, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would replace the session's CA
        monkeypatch.delenv(name, raising=False)
    ca, cert, key = _tls_files(tmp_path, "secure.rebind.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/feed").respond_with_data("<rss>ok</rss>")
    server.start()
    try:
        dns("secure.rebind.test", first="127.0.0.1", then="10.0.0.8")
        http = client(allow_loopback=True)
        http.session.verify = str(ca)
        response, _ = guarded_get(http, f"https://secure.rebind.test:{server.port}/feed")
        assert response.text == "<rss>ok</rss>"
        # A certificate that does not name the host is refused, pinned or not.
        dns("other.rebind.test", first="127.0.0.1", then="127.0.0.1")
        with pytest.raises(FetchError, match="SSLError"):
            guarded_get(http, f"https://other.rebind.test:{server.port}/feed")
    finally:
        server.clear()
        if server.is_running():
            server.stop()
