"""Several endpoints' observations of the same txs as one observation each, with every view attached.

Facts only: which endpoint saw the tx in which block, at which tip. Whether they agree enough for
`confirmed`, or contradict each other (`disputed`), is the verdict's rule (verdict.py).
"""

from collections.abc import Sequence
from dataclasses import replace

from deposit_check.models import EndpointView, Observation


def combine(answers: Sequence[tuple[str, list[Observation]]], quorum: int) -> list[Observation]:
    """Per item, one observation from the (endpoint label, observations in item order) answers.

    The fields are those of the most cautious view: among the endpoints that hold the tx in a
    block, the one with the fewest confirmations (so that when they agree on the block, the
    confirmations shown are those every one of them has); else one that knows the tx; else the first.
    """
    combined: list[Observation] = []
    for per_endpoint in zip(*(observations for _, observations in answers), strict=True):
        views = tuple(
            EndpointView(endpoint=label, found=o.found, block=o.block, tip=o.tip)
            for (label, _), o in zip(answers, per_endpoint, strict=True)
        )
        mined = [o for o in per_endpoint if o.block is not None]
        found = [o for o in per_endpoint if o.found]
        shown = min(mined, key=lambda o: o.confirmations) if mined else (found or list(per_endpoint))[0]
        combined.append(replace(shown, quorum=quorum, views=views))
    return combined
