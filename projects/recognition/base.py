"""What every recogniser shares: the result, the error, and parsing a pasted URL.

``parse_url`` turns what an analyst pasted into a :class:`ParsedURL` or refuses it with a
message that says why. It works offline: a host name is checked for shape only; whether it
resolves to a public address is decided when it is fetched (``sentimatrix.netguard``). IP
literals are judged here already, since no lookup is needed to see that ``10.0.0.1`` is
internal.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote, urlsplit

from projects.platforms import DetectedType, Platform
from sentimatrix.netguard import address_kind

MAX_URL_LENGTH = 2048

# Query parameters that say where a click came from, never what the page shows.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "ref", "ref_", "ref_src", "ref_url",
        "si", "feature", "spm", "share_id", "s_cid", "cmpid", "oly_enc_id", "oly_anon_id",
        "vero_id", "_hsenc", "_hsmi", "mkt_tok", "trk", "sr_share",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "mtm_")

# Host names that only exist inside a private network.
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}$")
_ESCAPE = re.compile(r"%[0-9a-f]{2}")
# Characters left as they are when a path or query is re-encoded: the reserved ones and '%',
# so escapes already in the URL are kept and only raw non-ASCII text gets encoded.
_SAFE = "/%:@!$&'()*+,;=-._~?"


class UnrecognizedURL(ValueError):
    """A pasted URL that cannot become a target; ``str(error)`` says why, for the analyst.

    ``platform`` is set when the host was recognised (an Amazon search page, a YouTube
    channel, ...), so a form can still show which platform the link belongs to.
    """

    def __init__(self, message: str, *, platform: str | None = None):
        super().__init__(message)
        self.message = message
        self.platform = platform


@dataclass(frozen=True)
class Recognition:
    """What a pasted URL is as a target.

    ``canonical_url`` is the same for every spelling of one target (mobile hosts, tracking
    parameters, slugs, short and long forms where the id is in the link): targets compare
    by it. ``needs_resolution`` marks short links whose target is known only after following
    the redirect, which needs the network; the collector resolves them.
    """

    platform: Platform
    detected_type: DetectedType
    platform_data: dict
    canonical_url: str
    label: str
    default_options: dict = field(default_factory=dict)
    url: str = ""  # what was pasted, trimmed, with a scheme
    needs_resolution: bool = False
    # The product, game or post name spelt in the link's slug, until the platform says it.
    name: str = ""


@dataclass(frozen=True)
class ParsedURL:
    """A pasted URL, split; ``host`` is lower-case ASCII (IDNA) without a trailing dot."""

    url: str
    scheme: str
    host: str
    port: int | None
    path: str  # as pasted (percent-escapes kept), "/" when empty
    query: str
    raw_segments: tuple[str, ...]
    segments: tuple[str, ...]  # decoded, empty ones dropped
    params: dict[str, list[str]]

    def param(self, name: str) -> str | None:
        """First value of a query parameter, the name matched case-insensitively."""
        for key, values in self.params.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    @property
    def decoded_path(self) -> str:
        return "/" + "/".join(self.segments)

    def subdomain_of(self, domain: str) -> str | None:
        """``"www"`` for www.example.com under example.com, ``""`` for the domain itself, else None."""
        if self.host == domain:
            return ""
        if self.host.endswith("." + domain):
            return self.host[: -len(domain) - 1]
        return None


_SLUG_SEPARATORS = re.compile(r"[-_+\s]+")
SLUG_NAME_MAX = 200


def slug_name(segment: str | None) -> str:
    """A name read from a URL slug (``FINAL_FANTASY_XIV_Online`` → ``FINAL FANTASY XIV Online``),
    or "" when the segment is no slug (empty, an id, a number, a placeholder like ``_``)."""
    words = _SLUG_SEPARATORS.sub(" ", segment or "").strip()
    if len(words) < 2 or words.isdigit() or not any(c.isalpha() for c in words):
        return ""
    return words[:SLUG_NAME_MAX]


def refuse(message: str, platform: str | None = None) -> UnrecognizedURL:
    """The error to raise for a URL of ``platform`` that is not a target."""
    return UnrecognizedURL(message, platform=platform)


def _with_scheme(text: str) -> str:
    if text.startswith("//"):
        return "https:" + text
    lowered = text.lower()
    if lowered.startswith(("http//", "https//")):
        raise refuse(f"malformed URL: '{text.split('//', 1)[0]}//' is missing the ':' after the scheme")
    if re.match(r"https?:/(?!/)", lowered):
        raise refuse("malformed URL: the scheme needs two slashes, as in https://")
    match = _SCHEME.match(text)
    if not match:
        return "https://" + text
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme in ("http", "https"):
        return text
    # "example.com:8080/x" and "www.amazon.de:443/dp/..." are a host and port, not a scheme.
    if "." in scheme or (rest[:1].isdigit() and not rest.startswith("//")):
        return "https://" + text
    raise refuse(f"unsupported scheme '{scheme}:': only http:// and https:// links can be added")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Browsers also read 2130706433, 0x7f000001 and 0177.0.0.1 as 127.0.0.1.
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _check_host(host: str) -> str:
    ip = _ip_literal(host)
    if ip is not None:
        kind = address_kind(ip)
        if kind:
            raise refuse(f"{host} is {kind}: internal addresses are not allowed")
        return str(ip) if ip.version == 4 else f"[{ip}]"
    if host == "localhost" or host.endswith(INTERNAL_SUFFIXES):
        raise refuse(f"{host} is an internal host name: internal addresses are not allowed")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise refuse(f"'{host}' is not a valid host name") from exc
    labels = ascii_host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise refuse(f"'{host}' is not a valid host name")
    if len(labels) < 2:
        raise refuse(f"this is not a URL: '{host}' has no domain such as .com")
    if labels[-1].isdigit():
        raise refuse(f"'{host}' is not a valid host name")
    return ascii_host


def parse_url(raw: str | None) -> ParsedURL:
    """Split a pasted URL, or raise ``UnrecognizedURL`` saying what is wrong with it."""
    text = (raw or "").strip()
    if not text:
        raise refuse("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise refuse(f"the URL is too long ({len(text)} characters; at most {MAX_URL_LENGTH})")
    if "\n" in text or "\r" in text:
        raise refuse("this spans several lines: paste one URL per line")
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise refuse("this is not a URL: it contains control characters")
    text = _with_scheme(text)
    if re.search(r"\s", text):
        raise refuse("this is not a URL: it contains spaces")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise refuse(f"malformed URL: {exc}") from exc
    if parts.username is not None or parts.password is not None:
        raise refuse("links with a user name or password in them are not accepted")
    if not parts.hostname:
        raise refuse("no host name in this URL")
    host = _check_host(parts.hostname.rstrip("."))
    scheme = parts.scheme.lower()
    if port == (443 if scheme == "https" else 80):
        port = None
    path = parts.path or "/"
    raw_segments = tuple(s for s in path.split("/") if s)
    return ParsedURL(
        url=text,
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        query=parts.query,
        raw_segments=raw_segments,
        segments=tuple(unquote(s) for s in raw_segments),
        params=parse_qs(parts.query, keep_blank_values=True),
    )


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def clean_url(url: ParsedURL, *, strip_trailing_slash: bool = False) -> str:
    """``url`` without tracking parameters and fragment, host lower-case, escapes upper-case.

    The query keeps its order and its own encoding: some servers care about both.
    """
    path = _ESCAPE.sub(lambda m: m.group().upper(), quote(url.path, safe=_SAFE))
    if strip_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    kept = [
        pair
        for pair in url.query.split("&")
        if pair and not is_tracking_param(unquote(pair.split("=", 1)[0].replace("+", " ")))
    ]
    query = quote("&".join(kept), safe=_SAFE)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{path}" + (f"?{query}" if query else "")
