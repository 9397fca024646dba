"""A loopback HTTP server that speaks the java-tron HTTP API by replaying published node answers, for tests.

No TRON node runs here (java-tron ships only as Docker images), so the TRON adapter is tested against this
server instead. Everything it answers for a transaction or a block is what a real node said, copied with
its source from a public page into `tests/fixtures/tron/` (see the README there); each fixture file holds
one entry `{"source", "network", "request": {"path", "body"}, "response"}`.

What is real and what is not:
- Real: every replayed body (a stored `response`, byte for byte in value).
- Synthesized, and nothing else:
  * `{}` for an id, number or hash it holds no answer for, as java-tron's servlets answer an unknown one
    (GetTransactionByIdServlet, GetTransactionInfoByIdServlet, GetBlockByNumServlet, GetBlockByIdServlet);
  * the height switch: `tip` and `solidified` are set by the test, not reached by consensus. A block above
    the height its path family sees answers `{}`, and so does a transaction whose block (its info's
    `blockNumber`) is above it. `getnowblock` answers the stored block at exactly that height when one was
    published; otherwise it answers a height-only block `{"block_header": {"raw_data": {"number": N}}}`
    (no blockID, hash or transactions: we hold none to give) and marks the reply with the header
    `X-Replay-Synthesized: height`. `getblockbynum` at or under the height without a stored block answers
    the same height-only block, marked the same way.
  * `/wallet/getnodeinfo` (added for the adapter, which reads both heads from it in one call): only its
    `block` and `solidityBlock` ("Num:<height>,ID:<block id>"), from the height switch; the id is the
    published block's at that height, else the height's 8 bytes and zeros (a TRON block id starts with its
    height; the rest we do not hold), and such a reply is marked `X-Replay-Synthesized: height`;
  * `/wallet/gettransactioninfobyblocknum {"num": n}`: the published infos of block n (by their
    `blockNumber`), as the list java-tron answers; `[]` for a block above `tip` or with none published;
  * block 0 of a network whose genesis block answer was never published (Nile, the 2021 testnet) answers `{}`,
    as for any block it holds none of; a real node always has block 0, so the adapter's network check
    (chains/tron/network.py) finds no genesis there and fails that node. Mainnet's genesis answer is published
    (tests/fixtures/tron/genesis/) and replayed as is;
  * `gettransactionbyid` of a transaction held by a published block (and by no published answer of its own):
    the transaction as the block carries it, marked `X-Replay-Synthesized: from-block`. A block's transactions
    carry exactly the fields `gettransactionbyid` answers (ret, signature, txID, raw_data, raw_data_hex), both
    printed from the same stored transaction by java-tron; its `gettransactioninfobyid` stays `{}` (not
    published), so such a transaction reads as known without its result;
  * a body that is not a JSON object answers 400 (java-tron answers 200 with an "Error" text we do not
    copy; the adapter never sends one);
  * `down("503")` answers 503 to everything; `down("refused")` closes the listening socket so connects
    are refused; `up()` serves again on the same port.

Paths served (POST with a JSON body, or GET with the same fields as query parameters):
  full node, seeing blocks up to `tip`:             solidity node, seeing blocks up to `solidified`:
  /wallet/gettransactionbyid       {"value": id}    /walletsolidity/gettransactionbyid
  /wallet/gettransactioninfobyid   {"value": id}    /walletsolidity/gettransactioninfobyid
  /wallet/getnowblock              {}               /walletsolidity/getnowblock
  /wallet/getblockbynum            {"num": n}       /walletsolidity/getblockbynum
  /wallet/getblockbyid             {"value": hash}  /walletsolidity/getblockbyid
A `/walletsolidity/...` path replays the answer stored for its `/wallet/...` twin (java-tron serves both
from the same servlet classes: FullNodeHttpApiService and SolidityNodeHttpApiService), gated by
`solidified` instead of `tip`. `visible` is ignored: the fixtures hold hex-address (visible=false) answers.
Any other path answers 404, as Jetty does for a path no servlet holds.

TronGrid's account index (GET, the query as TronGrid takes it), from published TronGrid pages:
  /v1/accounts/{address}/transactions/trc20      /v1/accounts/{address}/transactions
A request whose path and query are exactly a stored page's answers that page as published. Any other is
answered from the index the replay makes of every published page's items (each item copied whole, none
made up), as TronGrid documents its parameters (tron-grid README @ 00a8caff, developers.tron.network
"TRC-20 transaction history"): the items sent from or to {address}, narrowed by `only_to` / `only_from`,
`contract_address` (base58 or hex), `min_timestamp` / `max_timestamp` (block time, ms), newest first unless
`order_by=block_timestamp,asc`, `limit` items a page (default 20, at most 200) and the replay's own opaque
`fingerprint` for the next page (in `meta`, with `links.next`, as TronGrid pages carry them); an item's
`detail` only with `get_detail=true`. Such answers are marked `X-Replay-Synthesized: index`: the envelope,
the filtering and the paging are the replay's, the items are as published. `down()` applies to these too.

Every request is counted by path (`count`, `calls`), so a test can say how many node calls a check made;
`queries` keeps each request's path and query and `keys` its API-key header (TRON-PRO-API-KEY), in order.
"""

import json
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import base58

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tron"

TX_CALLS = ("gettransactionbyid", "gettransactioninfobyid")
BLOCK_CALLS = ("getnowblock", "getblockbynum", "getblockbyid")
FAMILIES = ("/wallet/", "/walletsolidity/")
SYNTHESIZED = "X-Replay-Synthesized"
ACCOUNT = re.compile(r"/v1/accounts/(?P<address>[^/]+)/(?P<kind>transactions(?:/trc20)?)")
API_KEY = "TRON-PRO-API-KEY"

Json = dict[str, Any]


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # concurrent clients (benches) connect at once; the default backlog is 5

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops its kept connection (a test ending, an outage) is no error of the node's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def load_fixtures(network: str, root: Path = FIXTURES) -> list[Json]:
    """Every fixture entry of `network` under `root` (one JSON file each)."""
    entries = [json.loads(path.read_text()) for path in sorted(root.rglob("*.json"))]
    return [entry for entry in entries if entry["network"] == network]


def _key(call: str, body: Json) -> str:
    return call + " " + json.dumps({k: v for k, v in body.items() if k != "visible"}, sort_keys=True)


def _page_key(path: str, query: dict[str, str]) -> str:
    return path + "?" + urlencode(sorted(query.items()))


def _base58(address: str) -> str:
    """An address as TronGrid takes it (base58 `T...`, hex `41...`) in base58; ValueError for anything else."""
    if address.startswith("T"):
        base58.b58decode_check(address)
        return address
    raw = bytes.fromhex(address.removeprefix("0x"))
    if len(raw) != 21 or raw[0] != 0x41:
        raise ValueError(address)
    return base58.b58encode_check(raw).decode()


def _parties(item: Json) -> tuple[str, str, str | None]:
    """(from, to, token contract) of an index item: a TRC-20 transfer, or an account transaction's contract."""
    if "transaction_id" in item:
        return item["from"], item["to"], item["token_info"]["address"]
    value = item["raw_data"]["contract"][0]["parameter"]["value"]
    to = value.get("to_address") or value.get("receiver_address") or value.get("contract_address") or ""
    return _base58(value["owner_address"]), _base58(to) if to else "", None


def _wanted(item: Json, address: str, query: dict[str, str]) -> bool:
    sender, recipient, contract = _parties(item)
    stamp = int(item.get("block_timestamp", 0))
    if address not in (sender, recipient):
        return False
    if (query.get("only_to") == "true" and recipient != address) or (
        query.get("only_from") == "true" and sender != address
    ):
        return False
    if "contract_address" in query and (contract is None or _base58(query["contract_address"]) != contract):
        return False
    return int(query.get("min_timestamp", "0")) <= stamp <= int(query.get("max_timestamp", str(2**62)))


def _block_number(block: Json) -> int:
    # java-tron's JSON leaves out a protobuf field at its default: the genesis block's header has no number.
    return int(block["block_header"]["raw_data"].get("number", 0))


class TronReplay:
    """The replay node: `url` to point the adapter at; `tip`, `solidified`, `down`, `up`, `count` for tests."""

    def __init__(
        self, entries: Iterable[Json], *, tip: int | None = None, solidified: int | None = None, port: int = 0
    ) -> None:
        """`port`: where to listen on 127.0.0.1 (0: a free port, see `url`)."""
        self.answers: dict[str, Json] = {}  # "call canonical-body" -> the stored response
        self.blocks: dict[int, Json] = {}  # every published block by height (from any block call)
        self.tx_block: dict[str, int] = {}  # tx id -> its block, from its info's blockNumber (or its block's)
        self.block_txs: dict[str, Json] = {}  # tx id -> the tx as a published block carries it
        self.pages: dict[str, Json] = {}  # "path?sorted query" -> a published TronGrid page
        self.items: dict[str, list[Json]] = {"transactions": [], "transactions/trc20": []}  # the index, by kind
        for entry in entries:
            request, response = entry["request"], entry["response"]
            if request.get("method") == "GET":
                match = ACCOUNT.fullmatch(request["path"])
                if match is None:
                    raise ValueError(f"no TronGrid account path: {request['path']}")
                self.pages[_page_key(request["path"], request.get("query", {}))] = response
                self.items[match["kind"]].extend(response["data"])
                continue
            path, body = request["path"], request["body"]
            call = path.removeprefix("/wallet/")
            if call in BLOCK_CALLS:
                self.blocks[_block_number(response)] = response
                for tx in response.get("transactions", []):
                    self.block_txs[tx["txID"]] = tx
                    self.tx_block.setdefault(tx["txID"], _block_number(response))
            if call != "getnowblock":  # getnowblock is answered from the height switch, not by its body
                self.answers[_key(call, body)] = response
            if call == "gettransactioninfobyid" and "blockNumber" in response:
                self.tx_block[response["id"]] = int(response["blockNumber"])
        known = list(self.blocks) + list(self.tx_block.values())
        highest = max(known, default=0)
        self.tip = highest if tip is None else tip
        self.solidified = self.tip if solidified is None else solidified
        self.calls: list[str] = []
        self.queries: list[str] = []  # each request's path and query, in order
        self.keys: list[str | None] = []  # each request's API-key header, in order
        self.outage: str | None = None
        self._lock = threading.Lock()
        self._server = self._listen(port)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    # --- switches for tests -------------------------------------------------------------------------
    def set_heights(self, tip: int, solidified: int) -> None:
        """Move the chain: the full node sees blocks up to `tip`, the solidity node up to `solidified`."""
        if solidified > tip:
            raise ValueError(f"solidified {solidified} above tip {tip}: a node never solidifies past its tip")
        self.tip, self.solidified = tip, solidified

    def down(self, how: str = "refused") -> None:
        """Take the node down: "503" answers 503 to every request, "refused" closes the port."""
        if how not in ("503", "refused"):
            raise ValueError(f"down(how) is '503' or 'refused', not {how!r}")
        self.outage = how
        if how == "refused":
            self._server.shutdown()
            self._server.server_close()

    def up(self) -> None:
        """Serve again (on the same port after a refused outage)."""
        if self.outage == "refused":
            self._server = self._listen(self.port)
        self.outage = None

    def count(self, path: str) -> int:
        """How many requests reached `path` (e.g. "/wallet/gettransactioninfobyid")."""
        with self._lock:
            return self.calls.count(path)

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.calls)

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.queries.clear()
            self.keys.clear()

    def close(self) -> None:
        if self.outage != "refused":
            self._server.shutdown()
            self._server.server_close()

    # --- answering ----------------------------------------------------------------------------------
    def answer(self, path: str, body: Json) -> tuple[int, Any, str | None]:
        """(status, body, how it was synthesized or None) for one request, as the node would give it."""
        family = next((f for f in FAMILIES if path.startswith(f)), None)
        call = path.removeprefix(family) if family else ""
        if family == "/wallet/" and call == "getnodeinfo":
            return self._node_info()
        if family == "/wallet/" and call == "gettransactioninfobyblocknum":
            return self._infos_of(int(body.get("num", -1)))
        if call not in TX_CALLS + BLOCK_CALLS:
            return 404, {}, None
        height = self.tip if family == "/wallet/" else self.solidified
        if call == "getnowblock":
            return self._block_at(height)
        if call == "getblockbynum":
            num = int(body.get("num", 0))
            return self._block_at(num) if num <= height else (200, {}, None)
        stored = self.answers.get(_key(call, body))
        if call == "getblockbyid" and stored is None:
            stored = next((b for b in self.blocks.values() if b.get("blockID") == body.get("value")), None)
        mark = None
        if call == "gettransactionbyid" and stored is None and str(body.get("value")) in self.block_txs:
            stored, mark = self.block_txs[str(body.get("value"))], "from-block"
        if stored is None:
            return 200, {}, None
        block = _block_number(stored) if call == "getblockbyid" else self.tx_block.get(str(body.get("value")))
        if block is not None and block > height:
            return 200, {}, None
        return 200, stored, mark

    def account(self, path: str, query: dict[str, str]) -> tuple[int, Any, str | None]:
        """A TronGrid account page: the published one for exactly this request, else one from the index."""
        match = ACCOUNT.fullmatch(path)
        if match is None:
            return 404, {}, None
        stored = self.pages.get(_page_key(path, query))
        if stored is not None:
            return 200, stored, None
        try:
            address = _base58(match["address"])
            limit = int(query.get("limit", "20"))
            start = int(query.get("fingerprint", "replay:0").removeprefix("replay:"))
        except ValueError:
            return 400, {"success": False, "error": "bad address, limit or fingerprint", "statusCode": 400}, "index"
        if not 1 <= limit <= 200:
            return 400, {"success": False, "error": "limit must be 1 to 200", "statusCode": 400}, "index"
        items = [i for i in self.items[match["kind"]] if _wanted(i, address, query)]
        items.sort(key=lambda i: int(i.get("block_timestamp", 0)), reverse="asc" not in query.get("order_by", ""))
        page = items[start : start + limit]
        if query.get("get_detail") != "true":
            page = [{k: v for k, v in item.items() if k != "detail"} for item in page]
        meta: Json = {"at": int(time.time() * 1000), "page_size": len(page)}
        if start + limit < len(items):
            meta["fingerprint"] = f"replay:{start + limit}"
            meta["links"] = {"next": f"{self.url}{path}?{urlencode(query | {'fingerprint': meta['fingerprint']})}"}
        return 200, {"data": page, "success": True, "meta": meta}, "index"

    def _node_info(self) -> tuple[int, Any, str | None]:
        heads = {}
        synthesized: str | None = None
        for key, height in (("block", self.tip), ("solidityBlock", self.solidified)):
            published = self.blocks.get(height, {}).get("blockID")
            synthesized = synthesized or (None if published else "height")
            heads[key] = f"Num:{height},ID:{published or f'{height:016x}' + '0' * 48}"
        return 200, heads, synthesized

    def _infos_of(self, num: int) -> tuple[int, Any, str | None]:
        if num > self.tip:
            return 200, [], None
        infos = [
            answer
            for key, answer in self.answers.items()
            if key.startswith("gettransactioninfobyid ") and answer.get("blockNumber") == num
        ]
        return 200, infos, None

    def _block_at(self, num: int) -> tuple[int, Json, str | None]:
        if num in self.blocks:
            return 200, self.blocks[num], None
        if num <= 0:
            return 200, {}, None
        return 200, {"block_header": {"raw_data": {"number": num}}}, "height"

    def _listen(self, port: int) -> ThreadingHTTPServer:
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as java-tron's Jetty: clients reuse connections

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm holds the body until
                # the client's delayed ACK (~40 ms a request), which no real node's server does.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                try:
                    body = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    body = None
                self._reply(urlsplit(self.path).path, body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith("/v1/"):
                    self._reply(parts.path, dict(parse_qsl(parts.query)), account=True)
                    return
                body: Json = {k: int(v) if k == "num" else v for k, v in parse_qsl(parts.query)}
                self._reply(parts.path, body)

            def _reply(self, path: str, body: Any, account: bool = False) -> None:
                if node.outage == "refused":  # a connection kept from before the outage: dropped unanswered
                    self.close_connection = True
                    return
                with node._lock:
                    node.calls.append(path)
                    node.queries.append(self.path)
                    node.keys.append(self.headers.get(API_KEY))
                if node.outage == "503":
                    self._send(503, b"Service Unavailable", "text/plain", None)
                    return
                if not isinstance(body, dict):
                    self._send(400, b"request body is not a JSON object", "text/plain", None)
                    return
                status, answer, mark = node.account(path, body) if account else node.answer(path, body)
                self._send(status, json.dumps(answer).encode(), "application/json", mark)

            def _send(self, status: int, content: bytes, kind: str, synthesized: str | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                if synthesized:
                    self.send_header(SYNTHESIZED, synthesized)
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = _Server(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name=f"tron-replay-{port}", daemon=True).start()
        return server


def main(argv: list[str] | None = None) -> None:
    """Serve the fixtures of a network as a process (benches, the demos): print the URL, serve until killed."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m harness.tron_replay", description=main.__doc__)
    parser.add_argument("--network", default="mainnet")
    parser.add_argument("--tip", type=int)
    parser.add_argument("--solidified", type=int)
    parser.add_argument("--port", type=int, default=0, help="on 127.0.0.1 (default: a free port, printed)")
    args = parser.parse_args(argv)
    node = TronReplay(load_fixtures(args.network), tip=args.tip, solidified=args.solidified, port=args.port)
    print(node.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:  # Ctrl-C in the demo's terminal reaches its whole process group: no traceback
        node.close()


if __name__ == "__main__":
    main()
