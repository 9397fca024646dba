"""A JSON-RPC proxy in front of a real node that enforces a hosted provider's limits, for tests.

Hosted EVM providers refuse `eth_getLogs` over too wide a block range, and many nodes serve no trace
methods. Rather than mocking those answers, the tests put this proxy in front of a real anvil: it
forwards every call, except a capped method whose block range is wider than `max_blocks` (answered
with a provider's real error) and the `hidden` methods (answered -32601, as a node without them does).
It counts what it sees, so a test can say how many calls a lookup made.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# What real providers answer to a range they refuse (Infura's, and Alchemy's wording of the same limit).
INFURA_TOO_MANY = {"code": -32005, "message": "query returned more than 10000 results"}
ALCHEMY_RANGE = {
    "code": -32602,
    "message": "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
    "and no limit on the response size, or you can request any block range with a cap of 10K logs in the response.",
}


class RpcLimits:
    """Forwards JSON-RPC to `upstream`, refusing ranges wider than `max_blocks` of `capped` methods."""

    def __init__(
        self,
        upstream: str,
        *,
        max_blocks: int | None = None,
        capped: tuple[str, ...] = ("eth_getLogs",),
        refusal: dict[str, Any] = INFURA_TOO_MANY,
        hidden: tuple[str, ...] = (),
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.max_blocks = max_blocks
        self.capped = capped
        self.refusal = refusal
        self.hidden = hidden
        self.calls: list[str] = []  # every method asked, in order
        self.refused: list[tuple[int, int]] = []  # the (from, to) ranges refused
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                answer = proxy._answer(body)
                content = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, method: str) -> int:
        with self._lock:
            return self.calls.count(method)

    def _answer(self, body: Any) -> Any:
        calls = body if isinstance(body, list) else [body]
        answers: list[Any] = [None] * len(calls)
        forward: list[int] = []
        for i, call in enumerate(calls):
            method = call.get("method")
            with self._lock:
                self.calls.append(method)
            if method in self.hidden:
                answers[i] = _error(call, {"code": -32601, "message": "Method not found"})
            elif (refused := self._too_wide(call)) is not None:
                with self._lock:
                    self.refused.append(refused)
                answers[i] = _error(call, self.refusal)
            else:
                forward.append(i)
        if forward:
            sent = [
                {**calls[i], "id": n} for n, i in enumerate(forward)
            ]  # ids of our own: replies may come in any order
            replies = {reply["id"]: reply for reply in self._http.post(self.upstream, json=sent).json()}
            for n, i in enumerate(forward):
                answers[i] = {**replies[n], "id": calls[i].get("id")}
        return answers if isinstance(body, list) else answers[0]

    def _too_wide(self, call: dict[str, Any]) -> tuple[int, int] | None:
        if self.max_blocks is None or call.get("method") not in self.capped:
            return None
        [query] = call["params"]
        if not str(query.get("fromBlock", "")).startswith("0x") or not str(query.get("toBlock", "")).startswith("0x"):
            return None  # a `blockHash` filter (the follower's, one block) or a tag: no range to cap
        low, high = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        return (low, high) if high - low + 1 > self.max_blocks else None

    def close(self) -> None:
        self.server.shutdown()
        self._http.close()


def _error(call: dict[str, Any], error: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call.get("id"), "error": error}
