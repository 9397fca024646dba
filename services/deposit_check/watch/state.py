"""A watched deposit as stored in Redis: the last observation, the status last announced, and why.

The observation is kept whole (payments, block, spends), so that a new tip alone can move a
mined deposit from confirming to confirmed through the same verdict function the API uses.
"""

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from deposit_check.models import Asset, BlockRef, EndpointView, InternalTransfers, Observation, Payment, Status
from deposit_check.ownership import UNDECLARED, Owner


def observation_to_dict(o: Observation) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "chain": o.chain,
        "tx_hash": o.tx_hash,
        "found": o.found,
        "tip": o.tip,
        "block": [o.block.height, o.block.hash] if o.block else None,
        "block_time": o.block_time.isoformat() if o.block_time else None,
        "payments": [[p.asset.symbol, p.asset.decimals, p.asset.contract, str(p.amount)] for p in o.payments],
        "reverted": o.reverted,
        "spends": list(o.spends),
        "sender_nonce": o.sender_nonce,
        # A chain with a quorum: without the views, a later tip alone would read as "confirmed".
        "quorum": o.quorum,
        "views": [[v.endpoint, v.found, [v.block.height, v.block.hash] if v.block else None, v.tip] for v in o.views],
    }
    if o.internal_transfers is not None:  # EVM only: UTXO records (and those written before it) stay as they were
        fields["internal_transfers"] = o.internal_transfers.value
    if o.solidified is not None:  # TRON only, as above
        fields["solidified"] = o.solidified
    if o.failure is not None:
        fields["failure"] = o.failure
    return fields


def observation_from_dict(d: dict[str, Any]) -> Observation:
    return Observation(
        chain=d["chain"],
        tx_hash=d["tx_hash"],
        found=d["found"],
        tip=d["tip"],
        block=BlockRef(*d["block"]) if d["block"] else None,
        block_time=datetime.fromisoformat(d["block_time"]) if d["block_time"] else None,
        payments=tuple(Payment(Asset(s, dec, c), int(a)) for s, dec, c, a in d["payments"]),
        reverted=d["reverted"],
        spends=tuple(d["spends"]),
        sender_nonce=d["sender_nonce"],
        quorum=d.get("quorum", 1),
        views=tuple(EndpointView(e, f, BlockRef(*b) if b else None, t) for e, f, b, t in d.get("views", [])),
        internal_transfers=InternalTransfers(d["internal_transfers"]) if d.get("internal_transfers") else None,
        solidified=d.get("solidified"),
        failure=d.get("failure"),
    )


@dataclass(frozen=True)
class Watch:
    chain: str
    tx_hash: str
    address: str
    observation: Observation
    status: Status  # the status last announced
    generation: int = 0  # goes up each time a reorg takes back a status
    asset: str | None = None  # what the amount check is about, as asked
    expected: str | None = None
    replaced_by: str | None = None
    registered_at: float = 0.0
    expires_at: float | None = None  # while not yet in a block
    # What the check that registered it knew of the address: every verdict of the watch is decided with it.
    # Its account is sealed (ownership.Owner), so the record holds no account reference in the clear.
    owner: Owner = UNDECLARED

    def to_json(self) -> str:
        fields: dict[str, Any] = {
            "chain": self.chain,
            "tx_hash": self.tx_hash,
            "address": self.address,
            "observation": observation_to_dict(self.observation),
            "status": self.status.value,
            "generation": self.generation,
            "asset": self.asset,
            "expected": self.expected,
            "replaced_by": self.replaced_by,
            "registered_at": self.registered_at,
            "expires_at": self.expires_at,
        }
        if self.owner.declared:  # undeclared: the record as written before ownership existed
            fields["owner"] = {"ours": self.owner.ours, "account": self.owner.account}
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> "Watch":
        d = json.loads(raw)
        d["observation"] = observation_from_dict(d["observation"])
        d["status"] = Status(d["status"])
        if "owner" in d:
            d["owner"] = Owner(declared=True, ours=d["owner"]["ours"], account=d["owner"]["account"])
        return cls(**d)

    def with_(self, **changes: Any) -> "Watch":
        return replace(self, **changes)
