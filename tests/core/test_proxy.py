"""The client's address is read from X-Forwarded-For only when our own proxy sent it."""

from designmall.core.proxy import client_address_behind

NGINX = frozenset({"127.0.0.1"})


def test_without_a_trusted_proxy_the_peer_is_the_client():
    assert client_address_behind("203.0.113.9", "198.51.100.1", NGINX) == "203.0.113.9"


def test_behind_our_proxy_the_address_it_saw_is_the_client():
    assert client_address_behind("127.0.0.1", "198.51.100.7", NGINX) == "198.51.100.7"


def test_addresses_a_client_wrote_itself_are_not_believed():
    # The client sent "X-Forwarded-For: 10.0.0.1"; nginx appended the address it saw.
    assert client_address_behind("127.0.0.1", "10.0.0.1, 198.51.100.7", NGINX) == "198.51.100.7"


def test_a_chain_of_our_own_proxies_is_skipped():
    proxies = frozenset({"127.0.0.1", "10.0.0.2"})
    assert client_address_behind("127.0.0.1", "198.51.100.7, 10.0.0.2", proxies) == "198.51.100.7"


def test_no_header_leaves_the_peer():
    assert client_address_behind("127.0.0.1", "", NGINX) == "127.0.0.1"
