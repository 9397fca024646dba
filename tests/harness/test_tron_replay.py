"""The TRON replay node (harness/tron_replay.py): it replays each published answer exactly, answers `{}` for
what it holds none of, follows the heights a test sets, goes down on demand and counts calls per path.
The fixtures themselves are checked too: each names its source, and every transaction body that carries
`raw_data_hex` hashes to its own txID (so the body is a real, signed transaction, not a typed-up one)."""

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deposit_check.chains.tron.address import to_hex
from harness.tron_replay import FIXTURES, SYNTHESIZED, TronReplay, load_fixtures

NETWORKS = ("mainnet", "nile", "testnet-2021")
ALL = [entry for network in NETWORKS for entry in load_fixtures(network)]
USDT_INFO = "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc"  # mainnet block 66861993
USDT_TX = "2a985f0c5fd37aaffca2f9c29bd1eaa50ccaae6adef7585b73ad89ae67b745a4"  # no published info: block unknown
UNKNOWN = "00" * 32
TRONGRID_ITEMS = [i for e in ALL if e["request"].get("method") == "GET" for i in e["response"]["data"]]


def _post(node: TronReplay, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(node.url + path, json=body, timeout=10)


@pytest.fixture
def mainnet() -> Iterator[TronReplay]:
    node = TronReplay(load_fixtures("mainnet"))
    yield node
    node.close()


def test_every_fixture_names_its_source_and_every_file_belongs_to_a_network() -> None:
    files = sorted(FIXTURES.rglob("*.json"))
    assert len(ALL) == len(files) >= 8
    for entry in ALL:
        source = entry["source"]
        assert source.get("url") or {"repo", "path", "commit"} <= source.keys(), source
        if "commit" in source:
            assert len(source["commit"]) == 40
        request = entry["request"]
        assert request["path"].startswith("/wallet/") or (
            request.get("method") == "GET" and request["path"].startswith("/v1/accounts/")
        )


def test_published_transactions_hash_to_their_own_ids_and_blocks_to_their_heights() -> None:
    bodies = [e["response"] for e in ALL if e["request"]["path"] == "/wallet/gettransactionbyid"]
    bodies += [tx for e in ALL for tx in e["response"].get("transactions", [])]
    bodies += [item["detail"] for item in TRONGRID_ITEMS]  # TronGrid's copy of each tx (get_detail=true)
    assert len(bodies) >= 4
    for tx in bodies:
        assert hashlib.sha256(bytes.fromhex(tx["raw_data_hex"])).hexdigest() == tx["txID"]
    for entry in ALL:
        response = entry["response"]
        if "block_header" in response:  # a TRON block id starts with its height (8 bytes, big-endian)
            # (java-tron's JSON omits a field at its protobuf default: the genesis header has no number)
            assert int(response["blockID"][:16], 16) == response["block_header"]["raw_data"].get("number", 0)
        if entry["request"]["path"] == "/wallet/gettransactioninfobyid":
            assert response["id"] == entry["request"]["body"]["value"]


def test_trongrid_items_say_what_their_signed_bodies_say_and_infos_agree() -> None:
    """A TronGrid item's `from`, `to`, token and `value` are TronGrid's reading of the signed call it carries:
    each one is checked against the call data inside the hashed body, and each published info's Transfer log
    against its item, so none of the values used by the lookup tests can have been typed up."""
    infos = {
        e["response"]["id"]: e["response"] for e in ALL if e["request"]["path"] == "/wallet/gettransactioninfobyid"
    }
    assert len(TRONGRID_ITEMS) == 14
    checked = 0
    for item in TRONGRID_ITEMS:
        call = item["detail"]["raw_data"]["contract"][0]["parameter"]["value"]
        assert call["data"] in item["detail"]["raw_data_hex"] and item["transaction_id"] == item["detail"]["txID"]
        assert call["data"][:8] == "a9059cbb" and int(call["data"][72:], 16) == int(item["value"])
        assert to_hex(item["to"])[2:] == call["data"][32:72] and to_hex(item["from"]) == call["owner_address"]
        assert to_hex(item["token_info"]["address"]) == call["contract_address"]
        info = infos.get(item["transaction_id"])
        if info is not None:
            [log] = info["log"]
            assert int(log["data"], 16) == int(item["value"]) and log["topics"][2][-40:] == call["data"][32:72]
            assert (
                info["blockNumber"] == item["detail"]["blockNumber"]
                and info["blockTimeStamp"] == item["block_timestamp"]
            )
            checked += 1
    assert checked == 9


def test_trongrid_pages_are_replayed_as_published_or_from_the_index_marked(mainnet: TronReplay) -> None:
    [entry] = [e for e in ALL if e["request"].get("method") == "GET"]
    exact = httpx.get(mainnet.url + entry["request"]["path"], params=entry["request"]["query"], timeout=10)
    assert exact.json() == entry["response"] and SYNTHESIZED not in exact.headers
    payee = "TCB8H6cKtfLZJyt3tXkbN1a8Nxrh2x14RB"
    query = {"only_to": "true", "limit": "4", "contract_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"}
    first = httpx.get(f"{mainnet.url}/v1/accounts/{payee}/transactions/trc20", params=query, timeout=10)
    assert first.headers[SYNTHESIZED] == "index" and first.json()["meta"]["page_size"] == 4
    page = first.json()["data"]
    assert [i["to"] for i in page] == [payee] * 4 and all("detail" not in i for i in page)
    assert [i["block_timestamp"] for i in page] == sorted((i["block_timestamp"] for i in page), reverse=True)
    rest = httpx.get(first.json()["meta"]["links"]["next"], timeout=10).json()
    assert len(rest["data"]) == 2 and "fingerprint" not in rest["meta"]  # 6 transfers to it were published
    sent = httpx.get(f"{mainnet.url}/v1/accounts/{payee}/transactions/trc20", params={"only_from": "true"}, timeout=10)
    assert sent.json()["data"] == []
    later = httpx.get(
        f"{mainnet.url}/v1/accounts/{payee}/transactions/trc20", params={"min_timestamp": "1722862266000"}, timeout=10
    )
    assert [i["block_timestamp"] for i in later.json()["data"]] == [1722862290000, 1722862266000]
    bad = httpx.get(f"{mainnet.url}/v1/accounts/{payee}/transactions/trc20", params={"limit": "201"}, timeout=10)
    assert bad.status_code == 400


@pytest.mark.parametrize("network", NETWORKS)
def test_each_fixture_is_replayed_exactly_on_both_paths(network: str) -> None:
    entries = load_fixtures(network)
    node = TronReplay(entries)
    try:
        for entry in entries:
            if entry["request"].get("method") == "GET":
                continue  # TronGrid pages: test_trongrid_pages_are_replayed_as_published_or_from_the_index_marked
            path, body, stored = entry["request"]["path"], entry["request"]["body"], entry["response"]
            if path.endswith("/getnowblock"):  # answered from the height switch: put the tip on that block
                node.set_heights(stored["block_header"]["raw_data"]["number"], node.solidified)
            for served in (path, path.replace("/wallet/", "/walletsolidity/")):
                if served.endswith("/getnowblock") and served.startswith("/walletsolidity/"):
                    continue
                reply = _post(node, served, body)
                assert reply.status_code == 200 and SYNTHESIZED not in reply.headers
                assert reply.json() == stored, served
    finally:
        node.close()


def test_unknown_ids_answer_an_empty_object_as_java_tron_does(mainnet: TronReplay) -> None:
    for path in ("gettransactionbyid", "gettransactioninfobyid", "getblockbyid"):
        for family in ("/wallet/", "/walletsolidity/"):
            reply = _post(mainnet, family + path, {"value": UNKNOWN})
            assert reply.status_code == 200 and reply.json() == {}
    assert _post(mainnet, "/wallet/getblockbynum", {"num": mainnet.tip + 1}).json() == {}
    assert _post(mainnet, "/wallet/nosuchcall", {}).status_code == 404


def test_heights_decide_what_the_full_and_solidity_nodes_see(mainnet: TronReplay) -> None:
    info = {"value": USDT_INFO}
    mainnet.set_heights(66861993 + 19, 66861993 - 1)  # in a block, not yet solidified
    assert _post(mainnet, "/wallet/gettransactioninfobyid", info).json()["blockNumber"] == 66861993
    assert _post(mainnet, "/walletsolidity/gettransactioninfobyid", info).json() == {}
    mainnet.set_heights(66861993 + 19, 66861993)
    assert _post(mainnet, "/walletsolidity/gettransactioninfobyid", info).json()["id"] == USDT_INFO
    mainnet.set_heights(66861993 - 1, 66861993 - 1)  # tip below its block: not on this chain yet
    assert _post(mainnet, "/wallet/gettransactioninfobyid", info).json() == {}
    # a body with no published info has no known block: replayed whatever the heights
    assert _post(mainnet, "/wallet/gettransactionbyid", {"value": USDT_TX}).json()["txID"] == USDT_TX
    with pytest.raises(ValueError, match="above tip"):
        mainnet.set_heights(10, 11)


def test_the_tip_block_is_the_published_one_or_a_marked_height_only_block() -> None:
    node = TronReplay(load_fixtures("nile"), tip=66987627, solidified=66987565)
    try:
        now = _post(node, "/wallet/getnowblock", {})
        assert now.json()["blockID"].startswith("0000000003fe266b") and SYNTHESIZED not in now.headers
        solid = _post(node, "/walletsolidity/getnowblock", {})
        assert solid.json()["block_header"]["raw_data"]["number"] == 66987565
        assert _post(node, "/walletsolidity/getblockbynum", {"num": 66987627}).json() == {}
        node.set_heights(66987700, 66987680)
        moved = _post(node, "/wallet/getnowblock", {})
        assert moved.headers[SYNTHESIZED] == "height"
        assert moved.json() == {"block_header": {"raw_data": {"number": 66987700}}}
        below = _post(node, "/wallet/getblockbynum", {"num": 66987690})
        assert below.headers[SYNTHESIZED] == "height" and below.json()["block_header"]["raw_data"]["number"] == 66987690
        byid = httpx.get(node.url + "/wallet/getblockbyid", params={"value": solid.json()["blockID"]}, timeout=10)
        assert byid.json() == solid.json()  # GET with query parameters answers as POST does
    finally:
        node.close()


def test_down_answers_503_or_refuses_and_up_serves_again_on_the_same_port(mainnet: TronReplay) -> None:
    info = {"value": USDT_INFO}
    mainnet.down("503")
    assert _post(mainnet, "/wallet/gettransactioninfobyid", info).status_code == 503
    mainnet.up()
    assert _post(mainnet, "/wallet/gettransactioninfobyid", info).json()["id"] == USDT_INFO
    mainnet.down("refused")
    with pytest.raises(httpx.ConnectError):
        _post(mainnet, "/wallet/gettransactioninfobyid", info)
    mainnet.up()
    assert _post(mainnet, "/wallet/gettransactioninfobyid", info).json()["id"] == USDT_INFO
    with pytest.raises(ValueError):
        mainnet.down("slow")


def test_calls_are_counted_per_path(mainnet: TronReplay) -> None:
    mainnet.reset_counts()
    for _ in range(3):
        _post(mainnet, "/wallet/gettransactioninfobyid", {"value": USDT_INFO})
    _post(mainnet, "/walletsolidity/getnowblock", {})
    assert mainnet.count("/wallet/gettransactioninfobyid") == 3
    assert mainnet.count("/walletsolidity/getnowblock") == 1
    assert mainnet.count("/wallet/gettransactionbyid") == 0
    assert sum(mainnet.counts().values()) == 4
