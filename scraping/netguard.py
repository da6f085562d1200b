"""Refuse URLs that point into the server's own network (SSRF guard).

Users type URLs (feeds, web pages, webhooks) that the server then fetches. Without a
check, ``http://169.254.169.254/`` would read the cloud metadata service and
``http://localhost:8000/admin/`` would reach services that trust local callers. Every
address a host name resolves to must be public, and the check runs again on each redirect
hop (see ``scraping.http.HttpClient(guard=True)``).

Known limit: the address is checked, then the HTTP library resolves the name again to
connect. A DNS server answering differently within that window (rebinding) is not caught
here; a deployment that fetches arbitrary URLs should also block these ranges at its
egress firewall or proxy.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from scraping.collectors.base import CollectorError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")

# Cloud metadata services outside the link-local range (Alibaba Cloud; AWS over IPv6).
_METADATA_ADDRESSES = {
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}


# Checked in this order, after loopback and link-local: (ipaddress attribute, description).
_KINDS = (
    ("is_unspecified", "an unspecified address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private network address"),
    ("is_reserved", "a reserved address, not on the public internet"),
)


class BlockedAddressError(CollectorError):
    """The URL is not allowed: wrong scheme, or a host that is not on the public internet."""


def address_kind(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """What kind of non-public address ``ip`` is ("a loopback address", ...), or None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 2002:7f00:1:: (6to4) reach IPv4 hosts: judge the IPv4 one.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return address_kind(embedded, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip in _METADATA_ADDRESSES or ip.is_link_local:
        return "a link-local / cloud metadata address"
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


def check_url(url: str, *, allow_loopback: bool | None = None) -> None:
    """Raise ``BlockedAddressError`` unless ``url`` is http(s) to a public host.

    The host is resolved with ``socket.getaddrinfo`` and every address it resolves to must
    be public: a name with one private address among public ones is refused, since the
    client may connect to any of them. ``allow_loopback`` defaults to
    ``settings.SCRAPING_ALLOW_LOOPBACK`` (tests only: their local servers listen on loopback).
    """
    if allow_loopback is None:
        allow_loopback = bool(getattr(settings, "SCRAPING_ALLOW_LOOPBACK", False))
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
    for ip in resolve(host, port or (443 if scheme == "https" else 80)):
        kind = address_kind(ip, allow_loopback=allow_loopback)
        if kind:
            what = f"{host} is {kind}" if literal else f"{host} resolves to {ip}, {kind}"
            raise BlockedAddressError(f"{what}; only public internet addresses are allowed")
