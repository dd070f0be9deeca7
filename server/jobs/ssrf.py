"""SSRF guard for audio URLs and webhook URLs: resolve once, refuse non-public addresses, pin the IP.

The caller connects to `PinnedTarget.request_url()` (the vetted IP) with the original Host header
and TLS server name, so a second DNS answer cannot redirect the connection (no rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> IP address strings, in preference order. Tests may inject their own.
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_PATTERN = re.compile(r"^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")


class UrlRefused(ValueError):
    """The URL may not be fetched or called; the message says why in words a user can act on."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """IPv4 hidden inside an IPv6 address (mapped, 6to4, Teredo, NAT64), judged on its own."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address is not public (None if it is); order picks the most telling word."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        reason = blocked_reason(inner)
        if reason is not None:
            return f"IPv4-embedded {reason}"
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


@dataclass(frozen=True)
class PinnedTarget:
    """A vetted URL and the one address to connect to."""

    url: httpx.URL
    host: str
    port: int
    ip: IPAddress

    def request_url(self) -> httpx.URL:
        return self.url.copy_with(host=str(self.ip))

    def headers(self) -> dict[str, str]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != DEFAULT_PORTS[self.url.scheme]:
            host = f"{host}:{self.port}"
        return {"Host": host}

    def extensions(self) -> dict[str, Any]:
        # The certificate is checked against this name, not against the IP we connect to.
        if self.url.scheme == "https" and not _is_ip_literal(self.host):
            return {"sni_hostname": self.host}
        return {}


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class UrlGuard:
    """Checks URLs against scheme rules, DNS results and an operator allow-list."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.networks: list[IPNetwork] = []
        self.hosts: list[str] = []
        for entry in allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not _HOST_PATTERN.match(entry):
                raise ValueError(f"allow-list entry {entry!r} is neither a CIDR nor a host name")
            self.hosts.append(entry.rstrip("."))
        self.resolver = resolver or system_resolver

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for pattern in self.hosts:
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
            if host == pattern:
                return True
        return False

    def ip_allowed(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)

    async def check(self, url: str | httpx.URL, *, what: str = "URL") -> PinnedTarget:
        """Validate and resolve; raise UrlRefused with a message for the user."""
        try:
            parsed = httpx.URL(str(url))
        except (httpx.InvalidURL, ValueError) as exc:
            raise UrlRefused(f"{what} is not a valid URL: {exc}") from exc
        if parsed.scheme not in ALLOWED_SCHEMES:
            raise UrlRefused(f"{what} must use http or https (got {parsed.scheme or 'no scheme'!r})")
        host = parsed.raw_host.decode("ascii").lower() if parsed.raw_host else ""
        if not host:
            raise UrlRefused(f"{what} has no host name")
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        named_ok = self.host_allowed(host)
        if _is_ip_literal(host):
            addresses = [host]
        else:
            try:
                addresses = await self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise UrlRefused(f"{what} host {host!r} could not be resolved ({exc})") from exc
            if not addresses:
                raise UrlRefused(f"{what} host {host!r} could not be resolved (no addresses)")
        vetted: list[IPAddress] = []
        for address in addresses:
            ip = ipaddress.ip_address(address)
            reason = None if named_ok or self.ip_allowed(ip) else blocked_reason(ip)
            if reason is not None:
                # One bad answer refuses the host: mixing public and private answers is a known trick.
                raise UrlRefused(
                    f"{what} resolves to a {reason} address ({ip}); refused: add the network to jobs.fetch.allow "
                    "(a CIDR or host name in the YAML config) to allow internal hosts"
                )
            vetted.append(ip)
        return PinnedTarget(url=parsed, host=host, port=port, ip=vetted[0])
