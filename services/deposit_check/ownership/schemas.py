"""HTTP shapes of the address admin API (/v1/addresses)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ITEMS = 1_000  # per request (the body limit is 64 KiB): bulk lists go through `deposit-check addresses import`

CHAIN = Field(max_length=64, description="a configured chain's name")
VERSION = Field(description="the chain's ownership version after the change (part of cached verdicts' keys)")

EXAMPLES: dict[str, Any] = {
    "utxo": {
        "summary": "Two Litecoin addresses, one with its player account",
        "value": {
            "chain": "litecoin",
            "addresses": [
                {"address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj", "account": "p-20931"},
                {"address": "MQMcJhpWHYVeQArcZR3sBgyPZxxRtnH441"},
            ],
        },
    }
}


class AddressItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(max_length=128, description="an address of the chain, in any accepted form")
    account: str | None = Field(
        default=None,
        max_length=256,
        description="the casino's opaque player account id: 1-128 letters, digits or ._:/+=- (never a name or e-mail)",
    )


class AddressesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chain: str = CHAIN
    addresses: list[AddressItem] = Field(min_length=1, max_length=MAX_ITEMS, description=f"1 to {MAX_ITEMS} items")


class AddressesPut(BaseModel):
    """What a PUT did: every item checked first, nothing written when one is bad (422)."""

    chain: str = CHAIN
    added: int = Field(description="addresses not declared before")
    updated: int = Field(description="addresses declared before with another account")
    unchanged: int = Field(description="addresses declared before with the same account")
    version: int = VERSION


class AddressesDeleted(BaseModel):
    chain: str = CHAIN
    deleted: int = Field(description="addresses removed")
    absent: int = Field(description="addresses that were not declared")
    version: int = VERSION


class AddressLookup(BaseModel):
    chain: str = CHAIN
    address: str = Field(description="the address in the chain's canonical form")
    address_owner: Literal["casino", "not_casino", "unknown"] = Field(
        description="`casino`: declared; `not_casino`: the chain has ownership declared, not this address; "
        "`unknown`: nothing declared for the chain"
    )
    account: str | None = Field(description="the player account imported with the address, if any")
