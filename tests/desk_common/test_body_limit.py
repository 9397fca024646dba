"""BodyLimit: bounded request bodies, 413 in the standard error shape (unit, on a toy app), and both
services wired with it (for real, under uvicorn)."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI, Request

from deposit_check.devnet.litecoind import Litecoind
from desk_common.middleware import MAX_JSON_BODY_BYTES, BodyLimit
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.stacks import BotStack, bot_stack

LIMIT = 1000


def toy() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/hooks/big")
    async def big(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app.add_middleware(BodyLimit, max_bytes=LIMIT, exempt_prefixes=("/hooks/",))
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=toy()), base_url="http://api") as c:
        yield c


def assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.json() == {"error": {"code": "request_too_large", "message": f"request body over {LIMIT} bytes"}}


async def test_at_the_limit_the_body_reaches_the_route_intact(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200 and response.json() == {"size": LIMIT}


async def test_declared_length_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    assert_413(await client.post("/echo", content=b"x" * (LIMIT + 1)))


async def test_streamed_body_without_length_is_cut_at_the_limit(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"y" * 100

    response = await client.post("/echo", content=chunks())  # chunked: no Content-Length
    assert_413(response)


async def test_a_lying_content_length_does_not_help(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b"z" * 100

    assert_413(await client.post("/echo", content=chunks(), headers={"Content-Length": "10"}))


async def test_bad_content_length_is_refused(client: httpx.AsyncClient) -> None:
    assert_413(await client.post("/echo", content=b"{}", headers={"Content-Length": "-1"}))


async def test_exempt_prefix_keeps_its_own_cap(client: httpx.AsyncClient) -> None:
    response = await client.post("/hooks/big", content=b"x" * (LIMIT * 5))
    assert response.status_code == 200 and response.json() == {"size": LIMIT * 5}


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[BotStack]:
    with bot_stack(litecoind, redis_server, 9, []) as stack:
        yield stack


def test_both_services_refuse_a_body_over_64_kib(stack: BotStack) -> None:
    big = {"tx_hash": "ab" * 32, "address": "x" * (MAX_JSON_BODY_BYTES + 1)}
    for url in (f"{stack.deposit_check_url}/v1/checks", f"{stack.url}/v1/tickets/1/deposits"):
        response = httpx.post(url, json=big, timeout=30)
        assert response.status_code == 413, (url, response.text)
        assert response.json()["error"]["code"] == "request_too_large"


def test_ticket_link_webhooks_keep_their_1_mb_cap(stack: BotStack) -> None:
    url = f"{stack.url}/v1/webhooks/desk/wrong-secret"
    # 200 KB: over the JSON limit, under the webhook's own; refused for its secret, not its size.
    assert httpx.post(url, content=b"x" * 200_000, timeout=30).status_code == 401
    over = httpx.post(url, content=b"x" * 1_100_000, timeout=30)
    assert over.status_code in (401, 422) and over.status_code != 413


async def test_a_body_that_is_not_json_gets_our_error_shape() -> None:
    from deposit_check.app import create_app
    from deposit_check.config import AppConfig, parse_config

    text = '[chains.litecoin]\nfamily = "utxo"\nnetwork = "regtest"\nrpc_urls = ["http://u:p@127.0.0.1:9"]\nconfirmations = 6\n'
    app = create_app(AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=None, source="test"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            bad = await client.post("/v1/checks", content=b"{not json", headers={"content-type": "application/json"})
            missing = await client.get("/v1/nothing-here")
    assert bad.status_code in (400, 422) and "error" in bad.json() and "detail" not in bad.json()
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
