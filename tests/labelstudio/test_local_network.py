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
