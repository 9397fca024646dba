"""A watched deposit's verdict at a given tip, through the same `decide` the API uses."""

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from deposit_check.chains import Chain
from deposit_check.schemas import CheckResponse
from deposit_check.verdict import Expectation, Verdict, decide
from deposit_check.watch.state import Watch


def verdict_of(chain: Chain, watch: Watch, tip: int | None = None) -> Verdict:
    """The verdict of the watch (at `tip` when given): `replaced` once the watcher saw a replacement."""
    obs = watch.observation if tip is None else dataclasses.replace(watch.observation, tip=tip)
    asset = chain.assets().get(watch.asset.upper()) if watch.asset else None
    expected = Decimal(watch.expected) if watch.expected else None
    return decide(
        obs,
        address=watch.address,
        required=chain.required_confirmations,
        native=chain.native,
        expectation=Expectation(asset, expected),
        replaced_by=watch.replaced_by,
        owner=watch.owner,  # as the follower last read it from the index (the check's, without an index)
    )


def verdict_json(chain: Chain, verdict: Verdict, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The verdict as an event carries it: the check's answer without `account` (a stream is storage, and an
    account reference is never stored in the clear; a consumer that needs it asks `/v1/checks`). `names`: each
    chain's name for people (FileConfig.display_names)."""
    response = CheckResponse.from_verdict(verdict, [chain.name], datetime.now(UTC), names)
    response.watching = not verdict.final
    return response.model_dump(mode="json", exclude={"account"})
