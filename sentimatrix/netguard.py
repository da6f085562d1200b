"""Refuse URLs that point into the server's own network (SSRF guard), and connect only to
the address that was checked.

Users type URLs (feeds, web pages, webhooks, the base URL of a self-hosted LLM) that the
server then fetches. Without a check, ``http://169.254.169.254/`` would read the cloud
metadata service and ``http://localhost:8000/admin/`` would reach services that trust local
callers. :func:`check_url` is the one guard: the scheme must be http(s) and every address the
host resolves to must be public, unless the caller's :class:`Policy` lets loopback or private
network addresses through (tests' local servers; an operator's self-hosted model).

DNS rebinding: a name checked once and resolved again to connect can answer a public address
to the check and ``127.0.0.1`` to the connection. So the name is resolved once, each address
is checked, and the connection goes to a checked address (:func:`pinned_pool`; for
``requests``, :class:`PinnedAdapter`), with the certificate and SNI still naming the host.
Each request and each redirect hop is checked again the same way.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import certifi
import requests
import urllib3
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")

# Cloud metadata services outside the link-local range (Alibaba Cloud; AWS over IPv6).
_METADATA_ADDRESSES = {
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}
# What ``Policy.allow_private`` lets through besides loopback: RFC 1918, carrier-grade NAT
# (where VPN overlays such as Tailscale put their hosts) and IPv6 unique local addresses.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


# Checked in this order, after loopback and link-local: (ipaddress attribute, description).
_KINDS = (
    ("is_unspecified", "an unspecified address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private network address"),
    ("is_reserved", "a reserved address, not on the public internet"),
)


class BlockedAddressError(ValueError):
    """The URL is not allowed: wrong scheme, or a host that is not on the public internet.

    ``private_network`` is True when the address refused is one a ``Policy(allow_private=True)``
    lets through (loopback or a private network).
    """

    def __init__(self, message: str, *, private_network: bool = False):
        super().__init__(message)
        self.private_network = private_network


@dataclass(frozen=True)
class Policy:
    """Which non-public addresses a caller may reach.

    ``allow_private`` lets loopback and private networks (RFC 1918, IPv6 unique local,
    carrier-grade NAT) through, never link-local or cloud metadata addresses: no service
    a user may point the server at lives there, the instance's credentials do.
    """

    allow_loopback: bool = False
    allow_private: bool = False


def address_kind(ip: IPAddress, *, allow_loopback: bool = False, allow_private: bool = False) -> str | None:
    """What kind of non-public address ``ip`` is ("a loopback address", ...), or None when
    it may be reached (public, or of a kind the caller allows)."""
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 2002:7f00:1:: (6to4) reach IPv4 hosts: judge the IPv4 one.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return address_kind(embedded, allow_loopback=allow_loopback, allow_private=allow_private)
    if ip.is_loopback:
        return None if allow_loopback or allow_private else "a loopback address"
    if ip in _METADATA_ADDRESSES or ip.is_link_local:
        return "a link-local / cloud metadata address"
    if allow_private and any(ip in network for network in _PRIVATE_NETWORKS):
        return None
    for flag, kind in _KINDS:
        if getattr(ip, flag):
            return kind
    return None if ip.is_global else "a reserved address, not on the public internet"


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedAddressError(f"the host name {host} could not be resolved") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # IPv6 sockaddr strings may carry a zone ("fe80::1%eth0"): drop it before parsing.
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise BlockedAddressError(f"the host name {host} could not be resolved")
    return addresses


def check_url(url: str, *, allow_loopback: bool = False, allow_private: bool = False) -> list[IPAddress]:
    """The addresses ``url``'s host resolves to, every one of them allowed; raise
    ``BlockedAddressError`` unless ``url`` is http(s) to such a host.

    A name with one refused address among allowed ones is refused, since a client may
    connect to any of them. Connect only to the addresses returned (resolving the name again
    to connect is what DNS rebinding exploits): :func:`pinned_pool`, :class:`PinnedAdapter`.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedAddressError(f"{url!r} is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        what = f"not {scheme}:" if scheme else f"and {url!r} has no scheme"
        raise BlockedAddressError(f"only http and https URLs are allowed, {what}")
    host = parts.hostname
    if not host:
        raise BlockedAddressError(f"{url!r} has no host name")
    literal = _is_ip_literal(host)
    addresses = resolve(host, port or default_port(scheme))
    for ip in addresses:
        kind = address_kind(ip, allow_loopback=allow_loopback, allow_private=allow_private)
        if kind:
            what = f"{host} is {kind}" if literal else f"{host} resolves to {ip}, {kind}"
            allowed = "public or private network" if allow_private else "public internet"
            private_network = address_kind(ip, allow_private=True) is None
            raise BlockedAddressError(
                f"{what}; only {allowed} addresses are allowed", private_network=private_network
            )
    return addresses


def default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def join_path(base_url: str, path: str) -> str:
    """``base_url`` with ``path`` appended to its path (``https://h/v1`` + ``/models``).

    A base URL with a query or a fragment is refused (``BlockedAddressError``): appending
    would put the path inside them, sending the request somewhere else than it says.
    """
    parts = urlsplit(base_url)
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise BlockedAddressError("a base URL cannot have a query (?) or a fragment (#)")
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + path.lstrip("/")))


# --- connecting to the checked address --------------------------------------------------------


def pinned_pool(scheme: str, address: str, port: int, host: str, **kwargs) -> urllib3.HTTPConnectionPool:
    """A urllib3 pool that connects to ``address`` (already checked) and speaks to ``host``:
    TLS certificate and SNI name the host, so a pinned https connection is verified as usual.
    Requests through it must send ``Host`` themselves (:func:`host_header`)."""
    if scheme.lower() == "https":
        kwargs.setdefault("cert_reqs", "CERT_REQUIRED")
        kwargs.setdefault("ca_certs", certifi.where())
        return urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, **kwargs
        )
    return urllib3.HTTPConnectionPool(address, port, **kwargs)


def host_header(parts) -> str:
    """The ``Host`` header of a split URL (credentials left out)."""
    return parts.netloc.rsplit("@", 1)[-1]


def _connect_failed(exc: Exception) -> bool:
    """True when no connection was made (the next address may answer: IPv6 vs IPv4)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


_POLICY_ATTRIBUTE = "netguard_policy"


def guard_request(request: requests.PreparedRequest, policy: Policy) -> requests.PreparedRequest:
    """Mark ``request`` so a :class:`PinnedAdapter` checks it under ``policy`` and pins it."""
    setattr(request, _POLICY_ATTRIBUTE, policy)
    return request


class PinnedAdapter(HTTPAdapter):
    """A ``requests`` transport that checks each guarded request with :func:`check_url` and
    connects only to an address that was checked.

    A request is guarded when the adapter has a ``policy`` or the request was marked with
    :func:`guard_request`; other requests go out as with the stock adapter. Guarded requests
    ignore proxy settings: a proxy would resolve the name again.
    """

    def __init__(self, policy: Policy | None = None, **kwargs):
        self.policy = policy
        self._pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
        self._pools_lock = threading.Lock()
        super().__init__(**kwargs)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # noqa: PLR0917 - requests calls it so
        policy = getattr(request, _POLICY_ATTRIBUTE, None) or self.policy
        if policy is None:
            return super().send(request, stream, timeout, verify, cert, proxies)
        addresses = check_url(
            request.url, allow_loopback=policy.allow_loopback, allow_private=policy.allow_private
        )
        for index, address in enumerate(addresses):
            request._netguard_address = str(address)
            try:
                return super().send(request, stream, timeout, verify, cert, proxies={})
            except requests.ConnectionError as exc:
                if index == len(addresses) - 1 or not _connect_failed(exc):
                    raise
        raise AssertionError("unreachable: the last address returns or raises")  # pragma: no cover

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        address = getattr(request, "_netguard_address", None)
        if address is None:
            return super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        key = (scheme, address, parts.port or default_port(scheme), parts.hostname)
        with self._pools_lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = pinned_pool(*key, maxsize=self._pool_maxsize)
        return pool

    def add_headers(self, request, **kwargs):
        if getattr(request, "_netguard_address", None) is not None:
            request.headers["Host"] = host_header(urlsplit(request.url))

    def close(self):
        super().close()
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
