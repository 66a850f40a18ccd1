"""What a local Label Studio's server side may call: loopback and nothing else (issue 14, D11)."""

from __future__ import annotations

import ipaddress

import pytest

from plugin.labelstudio.local import NON_LOOPBACK

BANNED = [ipaddress.ip_network(n) for n in NON_LOOPBACK.split(",")]


def banned(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in BANNED)


@pytest.mark.parametrize("address", ["::ffff:169.254.169.254", "::ffff:10.0.0.5", "64:ff9b::a9fe:a9fe",
                                     "2002:a9fe:a9fe::1", "198.18.0.1", "192.0.0.1", "::", "10.1.2.3", "8.8.8.8",
                                     "169.254.169.254", "fe80::1", "2001:db8::1"])
def test_everything_but_loopback_is_banned(address):
    assert banned(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "::1"])
def test_loopback_is_allowed(address):
    assert not banned(address)


@pytest.mark.labelstudio
def test_label_studio_calls_out_only_through_the_dead_proxy(label_studio, outbound_calls):
    """Label Studio's help panel fetches tips from GitHub on the server side: that call goes to the proxy the local
    stack sets (here the test's listener on loopback; in `up`, a loopback port where nothing listens)."""
    import httpx

    _, lines = outbound_calls
    r = httpx.get(f"{label_studio.url}/heidi-tips/", timeout=30)
    assert r.status_code >= 400  # no tips: the call out failed
    assert any(line.startswith("CONNECT raw.githubusercontent.com:443") for line in lines), lines

