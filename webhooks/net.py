"""Outgoing HTTP to endpoints strangers chose: the SSRF guard and one bounded POST.

An endpoint URL is checked when registered and again at every delivery (DNS can change in
between): every address its host resolves to must be public (not loopback, private,
link-local, such as the cloud metadata address 169.254.169.254, shared, reserved or
multicast). The POST then connects to the address that was checked (no second lookup an
attacker's DNS could answer differently), sends the host name for Host and TLS (SNI and
certificate check), never follows a redirect, waits WEBHOOK_CONNECT_TIMEOUT to connect and
WEBHOOK_READ_TIMEOUT per read, and reads at most WEBHOOK_EXCERPT_CHARS of the answer.

WEBHOOK_ALLOW_PRIVATE_ADDRESSES (tests and `make run` only; production settings fix it off)
lets loopback receivers in; WEBHOOK_REQUIRE_HTTPS (on in production) refuses plain http.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(Exception):
    """The URL may not be called: its scheme, or an address its host resolves to."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address to connect to


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    # `is_global` is False for loopback, private, link-local, shared (100.64/10), reserved,
    # documentation and unspecified ranges; multicast is refused on its own.
    return ip.is_global and not ip.is_multicast


def url_check(url: str) -> Target:
    """The address to call `url` at, if it may be called. Raises UnsafeUrl otherwise
    (including when the host does not resolve: nothing to check is nothing allowed)."""
    parts = urlsplit(url)
    allowed_schemes = {"https"} if settings.WEBHOOK_REQUIRE_HTTPS else {"https", "http"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeUrl(f"the scheme must be {' or '.join(sorted(allowed_schemes))}")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeUrl("the URL needs a host and no credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as exc:
        raise UnsafeUrl(f"the host does not resolve: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    refused = sorted({a for a in addresses if not _address_allowed(a)})
    if refused or not addresses:
        raise UnsafeUrl(f"the host resolves to a non-public address ({', '.join(refused)})")
    path = parts.path or "/"
    path += f"?{parts.query}" if parts.query else ""
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; Host is still the name."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=settings.WEBHOOK_CONNECT_TIMEOUT)
        self.address = target.address

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.settimeout(settings.WEBHOOK_READ_TIMEOUT)
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `target`. Returns the status and a capped excerpt of the answer;
    raises OSError (timeouts, refused connections, TLS errors) or http.client errors."""
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(settings.WEBHOOK_EXCERPT_CHARS)
        return Answer(response.status, raw.decode("utf-8", "replace"))
    finally:
        connection.close()
