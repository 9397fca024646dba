"""How POST /v1/checks reads its body (the route reads it itself, `desk_common.body.json_body`):
every body it cannot use is a 422 in our error shape that says what to send. No node is needed:
nothing here gets that far, but for a valid body with a dead node (503)."""

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from tests.helpers import dev_mode

CONFIG = '[chains.litecoin]\nfamily = "utxo"\nnetwork = "regtest"\nrpc_urls = ["http://u:p@127.0.0.1:9"]\nconfirmations = 6\n'
VALID = b'{"tx_hash": "' + b"ab" * 32 + b'", "address": "rltc1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrwhxws"}'


@pytest.fixture
async def client():
    app = create_app(AppConfig(file=parse_config(dev_mode(CONFIG), env={}), redis_url=None, source="test"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))  # loopback, no keys: let in
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            yield c


async def post(client: httpx.AsyncClient, body: bytes, content_type: str | None) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return await client.post("/v1/checks", content=body, headers=headers)


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (VALID, None, "Content-Type: application/json"),
        (VALID, "text/plain", "Content-Type: application/json"),
        (VALID, "application/x-www-form-urlencoded", "Content-Type: application/json"),
        (b"", "application/json", "body is empty"),
        (b"  \n", "application/json", "body is empty"),
        (b"{not json", "application/json", "Invalid JSON"),
        (b'["a list"]', "application/json", "Input should be an object"),
        (b'{"address": "x"}', "application/json", "tx_hash: Field required"),
        (b'{"tx_hash": "ab", "address": "x", "watch": "perhaps"}', "application/json", "watch:"),
        (b'{"tx_hash": "ab", "address": "x", "surprise": 1}', "application/json", "surprise: Extra inputs"),
    ],
)
async def test_a_body_it_cannot_use_is_a_422_saying_what_to_send(
    client, body: bytes, content_type: str | None, says: str
) -> None:
    status, code, message = error(await post(client, body, content_type))
    assert (status, code) == (422, "invalid_request")
    assert says in message
    assert "ab" * 32 not in message  # the input is never echoed


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json"],
)
async def test_json_of_any_spelling_is_read(client, content_type: str) -> None:
    # Read, validated and passed on: the node behind the chain is down, so 503, not a body error.
    response = await post(client, VALID, content_type)
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


async def test_whitespace_around_fields_is_stripped_as_before(client) -> None:
    body = b'{"tx_hash": "  ' + b"ab" * 32 + b'  ", "address": " mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfm "}'
    status, code, message = error(await post(client, body, "application/json"))
    # Both passed the door stripped; the address (base58-shaped, bad checksum) is then refused by the chains.
    assert (status, code) == (422, "invalid_address") and "'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfm' is not" in message
