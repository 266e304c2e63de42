"""The SSRF guard of server-side requests: every address class, the allow-list, redirects, size cap, rebinding."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from sopdesk.core.outbound_http import (
    AllowList,
    OutboundRefused,
    OutboundResponseTooLarge,
    OutboundSession,
    check_url_statically,
    refusal_reason,
    resolve_target,
)
from sopdesk.testing.http_receiver import Receiver

NOTHING_ALLOWED = AllowList()


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("100.64.0.1", "globally routable"),  # carrier-grade NAT (shared address space)
        ("192.0.2.10", "private"),  # documentation range
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:0001::1", "loopback"),  # 6to4 around 127.0.0.1
        ("2002:0a00:0001::1", "private"),  # 6to4 around 10.0.0.1
    ],
)
def test_internal_addresses_of_every_class_are_refused(address: str, reason: str) -> None:
    refused = refusal_reason(ipaddress.ip_address(address))
    assert refused is not None
    assert reason in refused


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]:8080/hook",
        "https://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.0.1]/",
    ],
)
def test_literal_internal_addresses_are_refused_without_the_allow_list(url: str) -> None:
    with pytest.raises(OutboundRefused):
        resolve_target(url, allow=NOTHING_ALLOWED)
    with pytest.raises(OutboundRefused):
        check_url_statically(url, allow=NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "http://user:pw@example.com/", "//x"]
)
def test_other_schemes_and_credentials_in_the_url_are_refused(url: str) -> None:
    with pytest.raises(OutboundRefused):
        check_url_statically(url, allow=NOTHING_ALLOWED)


def test_the_allow_list_admits_networks_and_host_names() -> None:
    allow = AllowList.parse(["10.0.0.0/8", "hooks.internal", "::1"])
    assert resolve_target("http://10.9.8.7/hook", allow=allow).address == ipaddress.ip_address("10.9.8.7")
    assert resolve_target("http://[::1]/hook", allow=allow).address == ipaddress.ip_address("::1")
    with pytest.raises(OutboundRefused):
        resolve_target("http://192.168.0.1/hook", allow=allow)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Answer getaddrinfo from a table and count the lookups (the resolver, not our code, is replaced)."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in table:
            lookups.append(host)
            results = []
            for address in table[host]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                results.append((family, socket.SOCK_STREAM, 6, "", (address, port)))
            return results
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    table["__lookups__"] = lookups  # type: ignore[assignment]
    return table


def test_a_name_resolving_to_an_internal_address_is_refused(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["hooks.example.com"] = ["10.0.0.7"]
    with pytest.raises(OutboundRefused, match="private"):
        resolve_target("https://hooks.example.com/x", allow=NOTHING_ALLOWED)


def test_a_name_with_one_public_and_one_internal_address_is_refused(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["mixed.example.com"] = ["93.184.215.14", "127.0.0.1"]
    with pytest.raises(OutboundRefused, match="loopback"):
        resolve_target("https://mixed.example.com/x", allow=NOTHING_ALLOWED)


def test_the_connection_goes_to_the_checked_address_with_one_lookup(fake_dns: dict[str, list[str]]) -> None:
    """DNS rebinding: the name is resolved once; the request connects to that address, sending the name as Host."""
    with Receiver("webhook") as receiver:
        fake_dns["rebinding.test"] = ["127.0.0.1"]
        allow = AllowList.parse(["127.0.0.1"])
        url = f"http://rebinding.test:{receiver.port}/hooks/sopdesk"
        with OutboundSession(allow=allow) as session:
            response = session.post(url, content=b"{}")
        assert response.status_code == 204
        assert fake_dns["__lookups__"] == ["rebinding.test"]  # type: ignore[comparison-overlap]
        assert receiver.requests[0].headers["Host"] == f"rebinding.test:{receiver.port}"


def test_a_loopback_receiver_is_refused_unless_allowed() -> None:
    with Receiver("webhook") as receiver:
        with OutboundSession(allow=NOTHING_ALLOWED) as session, pytest.raises(OutboundRefused):
            session.post(receiver.url, content=b"{}")
        assert receiver.requests == []
        with OutboundSession(allow=AllowList.parse(["127.0.0.1"])) as session:
            assert session.post(receiver.url, content=b"{}").status_code == 204


def test_redirects_are_never_followed() -> None:
    with Receiver("webhook") as receiver:
        receiver.answer_next(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        with (
            OutboundSession(allow=AllowList.parse(["127.0.0.1"])) as session,
            pytest.raises(OutboundRefused, match="redirect"),
        ):
            session.post(receiver.url, content=b"{}")
        assert len(receiver.requests) == 1


def test_a_large_answer_is_cut_off() -> None:
    with Receiver("webhook") as receiver:
        receiver.answer_next(200, {"padding": "x" * 5000})
        with (
            OutboundSession(allow=AllowList.parse(["127.0.0.1"]), max_response_bytes=1000) as session,
            pytest.raises(OutboundResponseTooLarge),
        ):
            session.post(receiver.url, content=b"{}")


def test_the_allow_list_comes_from_the_settings(settings: Any) -> None:
    settings.SOPDESK_OUTBOUND_ALLOW = []
    with pytest.raises(OutboundRefused):
        resolve_target("http://127.0.0.1:9/x")
    settings.SOPDESK_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    assert str(resolve_target("http://127.0.0.1:9/x").address) == "127.0.0.1"
