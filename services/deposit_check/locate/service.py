"""`LocateService`: a tx hash alone, asked on every configured chain it fits, concurrently.

Each chain's adapter `locate`s it in one round trip (the tx, its recipients, the tip); `verdict.located_status`
says where it stands; the ownership index says which recipients are the casino's (one read per chain, by
script on UTXO chains, so a batch payout's hundreds of outputs cost no address parsing). Nothing is cached: a
locate is the first step of a claim without an address, asked once per ticket, and bounded by the key's rate.
"""

import asyncio
import logging
from datetime import UTC, datetime

import redis.asyncio as redis

from deposit_check.chains import Chain
from deposit_check.errors import DepositCheckError, InvalidTxHash, NodeUnavailable, UnknownChain
from deposit_check.locate.schemas import LocatedOn, LocateRequest, LocateResponse, PaidAddress
from deposit_check.models import Observation, Recipient
from deposit_check.ownership import Owner, Ownership
from deposit_check.verdict import located_status

log = logging.getLogger(__name__)


class LocateService:
    def __init__(self, chains: dict[str, Chain], ownership: Ownership) -> None:
        self.chains = chains
        self.ownership = ownership

    def plan(self, req: LocateRequest) -> list[tuple[Chain, str]]:
        """The chains to ask, with the hash in each one's form (every 422 comes from here)."""
        if req.chain is not None:
            chain = self.chains.get(req.chain)
            if chain is None:
                known = ", ".join(sorted(self.chains)) or "none"
                raise UnknownChain(f"unknown chain {req.chain!r}; configured chains: {known}")
            return [(chain, chain.normalize_tx_hash(req.tx_hash))]
        asked: list[tuple[Chain, str]] = []
        for chain in self.chains.values():
            try:
                asked.append((chain, chain.normalize_tx_hash(req.tx_hash)))
            except InvalidTxHash:
                continue
        if not asked:
            raise InvalidTxHash(f"no configured chain takes {req.tx_hash!r} as a transaction hash")
        return asked

    async def locate(self, req: LocateRequest) -> LocateResponse:
        asked = self.plan(req)
        answers = await asyncio.gather(*(self._one(chain, tx_hash) for chain, tx_hash in asked))
        found = [a for a in answers if isinstance(a, LocatedOn)]
        unavailable = [
            chain.name for (chain, _), a in zip(asked, answers, strict=True) if isinstance(a, NodeUnavailable)
        ]
        if not found and len(unavailable) == len(asked):
            failures = [a.message for a in answers if isinstance(a, NodeUnavailable)]
            raise NodeUnavailable("; ".join(failures), chain=asked[0][0].name)
        return LocateResponse(
            tx_hash=req.tx_hash.lower().removeprefix("0x"),
            found=bool(found),
            found_on=found,
            not_found_on=[chain.name for (chain, _), a in zip(asked, answers, strict=True) if a is None],
            unavailable=unavailable,
            checked_at=datetime.now(UTC),
        )

    async def _one(self, chain: Chain, tx_hash: str) -> LocatedOn | NodeUnavailable | None:
        """The tx on one chain; None when that chain answered it does not know it."""
        try:
            seen = await chain.locate(tx_hash)
            if not seen.found:
                return None
            return await self._located(chain, seen)
        except NodeUnavailable as exc:
            log.warning("chain %s unavailable: %s", chain.name, exc.message)
            return exc
        except (redis.RedisError, OSError) as exc:  # the ownership index: which addresses are ours is unknown
            log.warning("ownership index unavailable: %s", exc)
            return NodeUnavailable(f"{chain.name}: ownership index unavailable: {exc}", chain=chain.name)

    async def _located(self, chain: Chain, seen: Observation) -> LocatedOn:
        recipients = list(dict.fromkeys(r.address for r in seen.recipients))
        owners = await self._owners(chain, seen.recipients, recipients)
        ours = [address for address, owner in zip(recipients, owners, strict=True) if owner.ours]
        paid: list[PaidAddress] = []
        for address in ours:
            assets = sorted({r.asset.symbol for r in seen.recipients if r.address == address})
            paid.append(PaidAddress(address=_canonical(chain, address), assets=assets))
        return LocatedOn(
            chain=chain.name,
            tx_hash=seen.tx_hash,
            status=located_status(seen, chain.required_confirmations),
            confirmations=seen.confirmations,
            required_confirmations=chain.required_confirmations,
            block_height=seen.block.height if seen.block else None,
            block_time=seen.block_time,
            failure_reason=seen.failure if seen.reverted else None,
            ownership_declared=owners[0].declared if owners else None,
            casino_addresses=paid,
            other_recipients=len(recipients) - len(ours),
            unseen_payments=seen.unseen,
        )

    async def _owners(self, chain: Chain, seen: tuple[Recipient, ...], recipients: list[str]) -> list[Owner]:
        """Whose each recipient is, in one read: by script where the chain gives them (UTXO), else by canonical
        address (an address the adapter cannot parse is in no index: not the casino's)."""
        if not recipients:
            return []
        scripts = {r.address: r.script for r in seen}
        identities = [scripts[a] for a in recipients]
        if all(identities):
            return await self.ownership.owner_of_many(chain.name, recipients, [s for s in identities if s])
        return await self.ownership.owner_of_many(chain.name, [_canonical(chain, a) for a in recipients])


def _canonical(chain: Chain, address: str) -> str:
    try:
        return chain.normalize_address(address)
    except DepositCheckError:
        return address
