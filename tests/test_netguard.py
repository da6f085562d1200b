"""The SSRF guard: only http(s) URLs whose every resolved address is public pass (or, where
the caller's policy allows it, loopback / private network ones)."""

import socket

import pytest

from sentimatrix import netguard
from sentimatrix.http import FetchError, HttpClient
from sentimatrix.netguard import BlockedAddressError, check_url, join_path


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://127.1.2.3:8080/admin/", "127.1.2.3 is a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private network address"),
        ("http://192.168.1.20/", "192.168.1.20 is a private network address"),
        ("https://172.16.5.4/", "172.16.5.4 is a private network address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local / cloud metadata address",
        ),
        ("http://100.100.100.200/", "100.100.100.200 is a link-local / cloud metadata address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::1]:8000/x", "::1 is a loopback address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local / cloud metadata address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a link-local / cloud metadata address"),
        ("http://[fc00::5]/", "fc00::5 is a private network address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:10.1.1.1]/", "::ffff:10.1.1.1 is a private network address"),
        ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://100.64.0.7/", "100.64.0.7 is a reserved address"),
        ("http://localhost/", "localhost resolves to"),
        ("http://LOCALHOST:9/", "localhost resolves to"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(url, reason):
    with pytest.raises(BlockedAddressError) as caught:
        check_url(url, allow_loopback=False)
    assert reason in str(caught.value)
    assert "only public internet addresses are allowed" in str(caught.value)


def test_localhost_names_the_loopback_address_it_resolves_to():
    resolved = {info[4][0] for info in socket.getaddrinfo("localhost", 80, proto=socket.IPPROTO_TCP)}
    with pytest.raises(BlockedAddressError) as caught:
        check_url("http://localhost:8000/", allow_loopback=False)
    message = str(caught.value)
    assert any(f"localhost resolves to {address}, a loopback address" in message for address in resolved)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/file", "only http and https URLs are allowed, not ftp:"),
        ("file:///etc/passwd", "not file:"),
        ("gopher://example.com/", "not gopher:"),
        ("example.com/page", "'example.com/page' has no scheme"),
        ("http:///path-only", "has no host name"),
        ("http://[::1/", "is not a valid URL"),
    ],
)
def test_bad_schemes_and_malformed_urls_are_refused(url, reason):
    with pytest.raises(BlockedAddressError) as caught:
        check_url(url, allow_loopback=True)
    assert reason in str(caught.value)


def test_public_address_literals_pass_and_are_the_addresses_to_connect_to():
    assert [str(ip) for ip in check_url("https://93.184.216.34/reviews?page=2")] == ["93.184.216.34"]
    assert [str(ip) for ip in check_url("http://[2606:2800:220:1:248:1893:25c8:1946]/")] == [
        "2606:2800:220:1:248:1893:25c8:1946"
    ]


def _fake_dns(monkeypatch, table):
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in table[host]
        ]

    monkeypatch.setattr(netguard.socket, "getaddrinfo", getaddrinfo)


def test_every_resolved_address_must_be_public(monkeypatch):
    _fake_dns(
        monkeypatch,
        {
            "shop.example": ["93.184.216.34", "2606:2800:220:1::1"],
            "rebind.example": ["93.184.216.34", "10.0.0.8"],
            "metadata.example": ["169.254.169.254"],
        },
    )
    assert len(check_url("https://shop.example/p/1", allow_loopback=False)) == 2
    with pytest.raises(BlockedAddressError, match=r"rebind\.example resolves to 10\.0\.0\.8, a private"):
        check_url("https://rebind.example/", allow_loopback=False)
    with pytest.raises(BlockedAddressError, match="link-local / cloud metadata"):
        check_url("http://metadata.example/latest/", allow_loopback=True)


def test_unresolvable_host_is_refused(monkeypatch):
    _fake_dns(monkeypatch, {})
    with pytest.raises(BlockedAddressError, match=r"host name nowhere\.example could not be resolved"):
        check_url("http://nowhere.example/", allow_loopback=False)


def test_loopback_only_when_allowed_and_nothing_else_private():
    for url in ("http://127.0.0.1:8000/", "http://localhost:8000/", "http://[::1]:8000/"):
        assert check_url(url, allow_loopback=True)
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://192.168.0.1/"):
        with pytest.raises(BlockedAddressError):
            check_url(url, allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:11434/v1",
        "http://localhost:11434/v1",
        "http://10.1.2.3:8000/v1",
        "http://172.20.0.5/v1",
        "http://192.168.1.50:11434/v1",
        "http://100.101.102.103/v1",  # a Tailscale host
        "http://[fd12:3456::1]:8000/v1",
    ],
)
def test_private_endpoints_pass_only_when_private_is_allowed(url):
    with pytest.raises(BlockedAddressError, match="only public internet addresses are allowed"):
        check_url(url)
    assert check_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local / cloud metadata"),
        ("http://100.100.100.200/", "link-local / cloud metadata"),
        ("http://[fe80::1]/", "link-local / cloud metadata"),
        ("http://[fd00:ec2::254]/", "link-local / cloud metadata"),
        ("http://0.0.0.0:11434/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
    ],
)
def test_metadata_and_link_local_stay_refused_when_private_is_allowed(url, reason):
    with pytest.raises(BlockedAddressError, match=reason):
        check_url(url, allow_private=True)


def test_a_refused_fetch_is_a_fetch_error_without_scraping_words(settings):
    settings.SCRAPING_ALLOW_LOOPBACK = False
    with pytest.raises(FetchError) as caught:
        HttpClient(guard=True, max_retries=0).get("http://10.0.0.1/")
    assert isinstance(caught.value, BlockedAddressError)
    message = str(caught.value).lower()
    for word in ("scrap", "review", "collect"):
        assert word not in message


@pytest.mark.parametrize(
    ("base", "joined"),
    [
        ("https://llm.example.org/v1", "https://llm.example.org/v1/models"),
        ("https://llm.example.org/v1/", "https://llm.example.org/v1/models"),
        ("http://10.0.0.5:8000", "http://10.0.0.5:8000/models"),
    ],
)
def test_join_path_appends_to_the_path(base, joined):
    assert join_path(base, "/models") == joined


@pytest.mark.parametrize(
    "base", ["https://llm.example.org/v1?x=", "https://llm.example.org/v1#", "https://h/v1?"]
)
def test_join_path_refuses_a_base_with_a_query_or_fragment(base):
    with pytest.raises(BlockedAddressError, match="query"):
        join_path(base, "/models")
