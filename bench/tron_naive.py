"""The naive TRON check the bench compares with, run in a venv of its own (tronpy 0.6.2 cannot be installed
beside web3 8: eth-abi). What one writes first with tronpy's AsyncTron: the tx, its info, the latest and the
solidified block numbers, awaited one after another, then the same payment arithmetic as ours.

    python bench/tron_naive.py URL ITEMS.json CONCURRENCY [--httpx]

Prints one JSON line: checks/s sequential and under gather, calls per check, and the first items' results.
`--httpx`: the same four POSTs in tronpy's order with a plain httpx.AsyncClient (when tronpy is not installed).
Only tronpy or httpx is imported: this file runs outside the project's venv.
"""

import asyncio
import json
import sys
import time
from typing import Any

TRANSFER = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


class Counted:
    calls = 0


def tronpy_client(url: str) -> Any:
    # Installed only in the baseline's own venv (.venv-tronpy), never in the project's, where mypy runs.
    from tronpy import AsyncTron  # type: ignore[import-not-found]
    from tronpy.exceptions import TransactionNotFound  # type: ignore[import-not-found]
    from tronpy.providers.async_http import AsyncHTTPProvider  # type: ignore[import-not-found]

    provider = AsyncHTTPProvider(url, timeout=10)
    request = provider.make_request

    async def counted(method: str, params: Any = None) -> Any:
        Counted.calls += 1
        return await request(method, params)

    provider.make_request = counted
    client = AsyncTron(provider)

    async def fetch(tx: str) -> tuple[Any, Any, int, int]:
        try:
            body = await client.get_transaction(tx)
        except TransactionNotFound:
            body = None
        try:
            info = await client.get_transaction_info(tx)
        except TransactionNotFound:
            info = None
        tip = await client.get_latest_block_number()
        solid = await client.get_latest_solid_block_number()
        return body, info, tip, solid

    return fetch, client.close


def httpx_client(url: str) -> Any:
    import httpx

    client = httpx.AsyncClient(base_url=url, timeout=10)

    async def post(path: str, body: dict) -> Any:
        Counted.calls += 1
        response = await client.post(path, json=body)
        response.raise_for_status()
        return response.json()

    async def fetch(tx: str) -> tuple[Any, Any, int, int]:
        body = await post("/wallet/gettransactionbyid", {"value": tx, "visible": True}) or None
        info = await post("/wallet/gettransactioninfobyid", {"value": tx, "visible": True}) or None
        tip = int((await post("/wallet/getnodeinfo", {}))["block"].split(",ID:")[0][4:])
        solid = int((await post("/wallet/getnodeinfo", {}))["solidityBlock"].split(",ID:")[0][4:])
        return body, info, tip, solid

    return fetch, client.aclose


def check_with(fetch: Any, token: str) -> Any:
    async def check(item: dict[str, str]) -> list[Any]:
        body, info, tip, solid = await fetch(item["tx"])
        if info is None or "blockNumber" not in info:
            return [body is not None, None, 0]
        paid = 0
        for log in info.get("log") or []:
            topics = log.get("topics") or []
            listed = log.get("address") == token and len(topics) == 3 and topics[0] == TRANSFER
            if listed and topics[2][-40:] == item["payee"]:
                paid += int(log["data"], 16)
        height = int(info["blockNumber"])
        confirmed = height <= solid and tip - height + 1 >= 19
        return [True, confirmed, paid]

    return check


async def rate(check: Any, items: list[dict[str, str]], concurrency: int) -> float:
    start = time.perf_counter()
    if concurrency == 1:
        for item in items:
            await check(item)
    else:
        gate = asyncio.Semaphore(concurrency)

        async def one(item: dict[str, str]) -> None:
            async with gate:
                await check(item)

        await asyncio.gather(*(one(i) for i in items))
    return len(items) / (time.perf_counter() - start)


async def main() -> None:
    url, path, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path) as f:
        spec = json.load(f)
    fetch, close = httpx_client(url) if "--httpx" in sys.argv else tronpy_client(url)
    check = check_with(fetch, spec["token"])
    items = spec["items"]
    try:
        results = [await check(item) for item in items[: spec["verify"]]]
        Counted.calls = 0
        sequential = await rate(check, items, 1)
        calls = Counted.calls / len(items)
        gathered = await rate(check, items, concurrency)
    finally:
        await close()
    print(json.dumps({"sequential": sequential, "gather": gathered, "calls_per_check": calls, "results": results}))


if __name__ == "__main__":
    asyncio.run(main())
