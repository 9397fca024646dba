"""Source `trongrid`: what TronGrid's account index says reached an address (TRON chains).

TronGrid (`https://api.trongrid.io`) indexes every account's transfers; a java-tron node has no such index.
- TRC-20: `GET /v1/accounts/{address}/transactions/trc20` once per allow-listed contract (`contract_address`,
  so look-alike and spam tokens never use up a page), `only_to=true`, newest first, `min_timestamp` from the
  lookup's `since`, paged by the answer's `meta.fingerprint`.
- TRX: `GET /v1/accounts/{address}/transactions` with `only_to=true`: the `TransferContract`s to the address
  whose `ret[0].contractRet` is `SUCCESS` (other system contracts and calls move no TRX to it).

A find is a candidate only: TronGrid's word is never a verdict. The lookup service asks the chain's nodes
about every find (`observe_many`) and judges it as a check would (lookups/service.py). TRC-20 items name
no block (only its time), so their finds carry none until the node's answer does.

Requests go to `urls` (default: the chain's `http_urls`) with the chain's API key header, timeout and
breaker settings, through a pool of their own: a full node answering 404 for `/v1/` paths trips this
source's breaker, never the one checks use.

    [lookups.chains.tron.options.trongrid]
    urls = ["https://api.trongrid.io"]   # default: the chain's http_urls
    page_size = 200                       # TronGrid's `limit` (at most 200)
    max_pages = 10                        # pages per endpoint and lookup; more: coverage `complete: false`
    trx = true                            # also ask for TRX transfers
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deposit_check.chains import Chain
from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.address import from_hex, parse_address
from deposit_check.chains.tron.http import Node, NodeFailure, TronHttp
from deposit_check.config import TronChainConfig
from deposit_check.errors import InvalidAddress
from deposit_check.lookups import Coverage, Found, SourceAnswer
from deposit_check.models import Asset, BlockRef, Payment

NAME = "trongrid"


class TronGridConfig(BaseModel):
    """The source's options per chain (`[lookups.chains.<chain>.options.trongrid]`)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] | None = Field(default=None, min_length=1, description="TronGrid base URLs; default http_urls")
    page_size: int = Field(default=200, ge=1, le=200, description="TronGrid's `limit`: items per page")
    max_pages: int = Field(default=10, ge=1, le=1000, description="pages per endpoint and lookup")
    trx: bool = Field(default=True, description="also ask /v1/accounts/{address}/transactions for TRX")


@dataclass
class _Scan:
    """What one endpoint's pages said: its items, and whether it stopped before its last page."""

    items: list[dict[str, Any]]
    capped: bool


class TronGridSource:
    """`LookupSource` over TronGrid's account API, one client (pool, breakers) per chain that names it."""

    name = NAME

    def __init__(self, chains: dict[str, tuple[TronGridConfig, TronHttp]]) -> None:
        self._chains = chains

    def serves(self, chain: Chain) -> bool:
        return isinstance(chain, TronChain) and chain.name in self._chains

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        assert isinstance(chain, TronChain)
        options, http = self._chains[chain.name]
        tokens = {a.contract: a for a in chain.assets().values() if a.contract is not None}
        base: dict[str, str] = {"only_to": "true", "limit": str(options.page_size), "order_by": "block_timestamp,desc"}
        if since is not None:
            base["min_timestamp"] = str(int(since.timestamp() * 1000))
        finds: dict[str, Found] = {}
        capped = False
        for contract, asset in tokens.items():
            scan = await self._scan(
                http,
                options,
                f"/v1/accounts/{address}/transactions/trc20",
                base | {"contract_address": contract},
                limit,
            )
            capped = capped or scan.capped
            _add(finds, _token_finds(chain.name, address, contract, asset, scan.items))
        if options.trx:
            scan = await self._scan(http, options, f"/v1/accounts/{address}/transactions", base, limit)
            capped = capped or scan.capped
            _add(finds, _trx_finds(chain.name, address, chain.native, scan.items))
        newest = sorted(finds.values(), key=lambda f: f.time or datetime.min.replace(tzinfo=UTC), reverse=True)
        searched = sorted(a.symbol for a in tokens.values()) + ([chain.native.symbol] if options.trx else [])
        coverage = Coverage(
            NAME,
            chain.name,
            mempool=False,
            assets=tuple(searched),
            complete=not capped,
            note=f"more than {options.max_pages} pages of transfers: older ones not searched" if capped else None,
            from_time=since,
        )
        return SourceAnswer(tuple(newest[:limit]), coverage, truncated=len(newest) > limit or capped)

    async def _scan(
        self, http: TronHttp, options: TronGridConfig, path: str, params: dict[str, str], limit: int
    ) -> _Scan:
        """The endpoint's pages, newest first, until its last page, `limit` items or `max_pages` pages."""
        items: list[dict[str, Any]] = []
        query = dict(params)
        for _ in range(options.max_pages):

            async def ask(node: Node, query: dict[str, str] = query) -> tuple[list[dict[str, Any]], str | None]:
                return _page(await http.get_on(node, path, query))

            page, fingerprint = await http.first(ask)
            items.extend(page)
            if fingerprint is None or len(items) >= limit:
                return _Scan(items, capped=False)
            query = query | {"fingerprint": fingerprint}
        return _Scan(items, capped=True)

    async def aclose(self) -> None:
        for _, http in self._chains.values():
            await http.aclose()


def _page(answer: Any) -> tuple[list[dict[str, Any]], str | None]:
    """(items, the next page's fingerprint or None) of a TronGrid answer; NodeFailure when it is no page."""
    if not isinstance(answer, dict) or answer.get("success") is not True or not isinstance(answer.get("data"), list):
        raise NodeFailure(f"TronGrid answered no page: {str(answer)[:200]!r}")
    meta = answer.get("meta") or {}
    fingerprint = meta.get("fingerprint") if isinstance(meta, dict) else None
    return [i for i in answer["data"] if isinstance(i, dict)], str(fingerprint) if fingerprint else None


def _millis(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if isinstance(value, int) else None


def _token_finds(chain: str, address: str, contract: str, asset: Asset, items: list[dict[str, Any]]) -> list[Found]:
    """TRC-20 items: a `Transfer` of the asked contract to the address, with a positive integer value."""
    finds = []
    for item in items:
        token = (item.get("token_info") or {}).get("address")
        value = str(item.get("value", ""))
        if item.get("type") != "Transfer" or token != contract or item.get("to") != address or not value.isdigit():
            continue  # TronGrid filtered these out already; an item that slipped through pays nothing asked
        if int(value) > 0:  # a 0-value Transfer (address poisoning) paid nothing
            payment = (Payment(asset, int(value)),)
            finds.append(
                Found(chain, str(item["transaction_id"]).lower(), None, _millis(item.get("block_timestamp")), payment)
            )
    return finds


def _trx_finds(chain: str, address: str, native: Asset, items: list[dict[str, Any]]) -> list[Found]:
    """Account transactions: a successful `TransferContract` of TRX to the address."""
    finds = []
    for item in items:
        try:
            contract = item["raw_data"]["contract"][0]
            value = contract["parameter"]["value"]
            result = (item.get("ret") or [{}])[0].get("contractRet")
            to = value.get("to_address", "")
            if contract["type"] != "TransferContract" or result != "SUCCESS" or _base58(to) != address:
                continue
            amount, height = int(value["amount"]), item.get("blockNumber")
        except (KeyError, IndexError, TypeError, ValueError, InvalidAddress):
            continue  # not a TRX transfer this source can read: the other sources and checks still see it
        if amount > 0:
            block = BlockRef(int(height), "") if isinstance(height, int) else None  # TRON answers carry no id here
            payment = (Payment(native, amount),)
            finds.append(Found(chain, str(item["txID"]).lower(), block, _millis(item.get("block_timestamp")), payment))
    return finds


def _base58(text: str) -> str:
    return parse_address(text) if text.startswith("T") else from_hex(text)


def _add(finds: dict[str, Found], new: list[Found]) -> None:
    """One find per tx: its payments summed over the endpoints' items."""
    for found in new:
        had = finds.get(found.tx_hash)
        if had is None:
            finds[found.tx_hash] = found
            continue
        amounts: dict[Asset, int] = {p.asset: p.amount for p in had.payments}
        for p in found.payments:
            amounts[p.asset] = amounts.get(p.asset, 0) + p.amount
        finds[found.tx_hash] = Found(
            had.chain,
            had.tx_hash,
            had.block or found.block,
            had.time or found.time,
            tuple(Payment(a, n) for a, n in amounts.items()),
        )


def build(chains: Mapping[str, tuple[TronChainConfig, TronGridConfig]]) -> TronGridSource:
    """The source for each TRON chain naming it, from (its chain config, its validated options)."""
    clients: dict[str, tuple[TronGridConfig, TronHttp]] = {}
    for name, (config, options) in chains.items():
        http = TronHttp(
            f"{name}/trongrid",
            options.urls or config.http_urls,
            config.timeout_seconds,
            api_key=config.api_key.get_secret_value() if config.api_key else None,
            api_key_header=config.api_key_header,
            breaker_failures=config.breaker_failures,
            breaker_reset_seconds=config.breaker_reset_seconds,
            max_in_flight=config.max_requests_in_flight,
        )
        clients[name] = (options, http)
    return TronGridSource(clients)
