"""Requests from the server to URLs an administrator configured (chat robots, webhooks), guarded against SSRF.

A configured URL must not make the server reach what only the server can reach: the target's name
is resolved once, every address it resolves to is checked (loopback, link-local, private, shared,
multicast, reserved and unspecified addresses are refused, IPv4-mapped IPv6 included), and the
connection goes to the checked address — no second lookup, so DNS rebinding cannot swap it. TLS
still verifies the certificate against the configured host name. Redirects are never followed,
proxies from the environment are ignored, and the response is read up to a size cap.
`SOPDESK_OUTBOUND_ALLOW` (host names and CIDR networks) lets an operator allow internal targets.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
ALLOWED_SCHEMES = ("http", "https")


class OutboundRefused(ValueError):
    """The URL may not be requested (scheme, address, redirect): trying again will not help."""


class OutboundResponseTooLarge(ValueError):
    """The target answered with more than the response size cap."""


@dataclass(frozen=True)
class AllowList:
    """Targets an operator allowed although their addresses are internal: host names and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Return the allow-list of `entries`: each a CIDR network, an address or a host name."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                hosts.add(text.lower().rstrip("."))
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    @classmethod
    def from_settings(cls) -> AllowList:
        return cls.parse(getattr(settings, "SOPDESK_OUTBOUND_ALLOW", []))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        plain = _unmapped(address)
        return any(plain.version == network.version and plain in network for network in self.networks)


def _unmapped(address: IPAddress) -> IPAddress:
    """Return the IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else `address`."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Return why `address` may not be reached from the server (None: a public address)."""
    plain = _unmapped(address)
    embedded: list[IPAddress] = []
    if isinstance(plain, ipaddress.IPv6Address):
        # 6to4 and Teredo carry an IPv4 address that the tunnel would reach.
        if plain.sixtofour is not None:
            embedded.append(plain.sixtofour)
        if plain.teredo is not None:
            embedded.append(plain.teredo[1])
    for candidate in (plain, *embedded):
        checks = (
            (candidate.is_unspecified, "an unspecified address"),
            (candidate.is_loopback, "a loopback address"),
            (candidate.is_link_local, "a link-local address"),
            (candidate.is_multicast, "a multicast address"),
            (candidate.is_reserved, "a reserved address"),
            (candidate.is_private, "a private address"),
            (not candidate.is_global, "not a globally routable address"),
        )
        for is_refused, reason in checks:
            if is_refused:
                return f"{candidate} is {reason}"
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the address) and what to say (the host name)."""

    url: httpx.URL
    host: str
    port: int
    address: IPAddress


def _port(url: httpx.URL) -> int:
    if url.port is not None:
        return url.port
    return 443 if url.scheme == "https" else 80


def parse_url(url: str) -> httpx.URL:
    """Return `url` parsed, or raise OutboundRefused for a URL the server never requests (scheme, credentials)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundRefused(f"Not a valid URL: {exc}") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise OutboundRefused(f"Only http and https URLs are requested, not {parsed.scheme or 'no scheme'!r}.")
    if not parsed.host:
        raise OutboundRefused("The URL names no host.")
    if parsed.userinfo:
        raise OutboundRefused("The URL may not contain a user name or password.")
    return parsed


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url_statically(url: str, *, allow: AllowList | None = None) -> None:
    """Refuse what can be refused without a DNS lookup: the scheme, credentials, an internal literal address.

    For configuration forms; the full check (the resolved addresses) runs at every request.
    """
    allow = allow if allow is not None else AllowList.from_settings()
    parsed = parse_url(url)
    address = literal_address(parsed.host)
    if address is not None and not allow.allows_host(parsed.host) and not allow.allows_address(address):
        reason = refusal_reason(address)
        if reason is not None:
            raise OutboundRefused(f"The URL's address is refused: {reason}.")


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        # A lookup can fail for a while (resolver down): a transient error, retried.
        raise OSError(f"The host {host!r} could not be resolved: {exc}") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OSError(f"The host {host!r} has no address.")
    return addresses


def resolve_target(url: str, *, allow: AllowList | None = None) -> Target:
    """Check `url` and resolve its host once; return where to connect, or raise OutboundRefused.

    Every address the name resolves to must be allowed: a name that answers one public and one
    internal address is refused, whichever the connection would have used.
    """
    allow = allow if allow is not None else AllowList.from_settings()
    parsed = parse_url(url)
    host, port = parsed.host, _port(parsed)
    literal = literal_address(host)
    addresses = [literal] if literal is not None else _resolve(host, port)
    if not allow.allows_host(host):
        for address in addresses:
            if allow.allows_address(address):
                continue
            reason = refusal_reason(address)
            if reason is not None:
                raise OutboundRefused(f"Requests to {host} are refused: {reason} (SOPDESK_OUTBOUND_ALLOW).")
    return Target(url=parsed, host=host, port=port, address=addresses[0])


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Return the body as JSON, or None when it is not JSON."""
        import json

        try:
            return json.loads(self.content)
        except ValueError:
            return None


@dataclass
class OutboundSession:
    """Sends POST requests to checked targets; keeps one connection pool per (address, host) until closed."""

    timeout: float = field(
        default_factory=lambda: float(getattr(settings, "SOPDESK_OUTBOUND_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    )
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    allow: AllowList | None = None
    _clients: dict[tuple[str, str, int, str], httpx.Client] = field(default_factory=dict)

    def _client(self, target: Target) -> httpx.Client:
        # One pool per address *and* host name: a TLS connection verified for one name is never
        # reused for another name on the same address.
        key = (target.url.scheme, str(target.address), target.port, target.host)
        client = self._clients.get(key)
        if client is None:
            client = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,  # an environment proxy would make the address check meaningless
                verify=True,
            )
            self._clients[key] = client
        return client

    def post(self, url: str, *, content: bytes, headers: Mapping[str, str] | None = None) -> OutboundResponse:
        """POST `content` to `url` after the address check; never follow a redirect (OutboundRefused)."""
        target = resolve_target(url, allow=self.allow)
        address = str(target.address)
        connect_host = f"[{address}]" if target.address.version == 6 else address
        connect_url = target.url.copy_with(host=connect_host.strip("[]"))
        request_headers = {"Host": target.url.netloc.decode("ascii"), **(headers or {})}
        extensions: dict[str, Any] = {}
        if target.url.scheme == "https":
            extensions["sni_hostname"] = target.host
        client = self._client(target)
        request = client.build_request(
            "POST", connect_url, content=content, headers=request_headers, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            if response.is_redirect:
                raise OutboundRefused(
                    f"The target answered {response.status_code} with a redirect; redirects are never followed."
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > self.max_response_bytes:
                    raise OutboundResponseTooLarge(
                        f"The target's answer is larger than {self.max_response_bytes} bytes."
                    )
            return OutboundResponse(
                status_code=response.status_code, headers=dict(response.headers), content=bytes(body)
            )
        finally:
            response.close()

    def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def __enter__(self) -> OutboundSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
