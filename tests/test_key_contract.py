"""The streams ticket_link reads are the ones deposit_check writes.

ticket_link never imports deposit_check (an import-linter contract), so it spells deposit_check's
stream names itself (ticket_link/keys.py, from the contract in docs/api.md "Events"). This test may
import both and holds the two spellings together. The names in action, through a real watcher,
a real Redis and ticket_link's worker: tests/ticket_link/test_flow.py (one Redis) and
tests/ticket_link/test_two_redis.py (one each).
"""

import pytest

from deposit_check import keys as deposit_check_keys
from deposit_check.watch.changes import EventType
from ticket_link import keys as ticket_link_keys
from ticket_link import schemas as ticket_link_schemas


def test_the_stream_registry_is_the_same_key() -> None:
    assert ticket_link_keys.DEPOSIT_CHECK_STREAMS == deposit_check_keys.STREAMS == "dc:v1:streams"


@pytest.mark.parametrize("chain", ["litecoin", "ethereum", "bsc-testnet", "tron_2"])
def test_each_chains_event_stream_is_the_same_key(chain: str) -> None:
    written = deposit_check_keys.ChainKeys(chain).events
    assert ticket_link_keys.deposit_check_events(chain) == written == f"dc:v1:{{{chain}}}:events"


def test_event_types_are_the_same() -> None:
    assert {t.value for t in ticket_link_schemas.EventType} == {t.value for t in EventType}


def test_the_two_services_keys_never_overlap() -> None:
    assert not ticket_link_keys.PREFIX.startswith(deposit_check_keys.PREFIX)
    assert not deposit_check_keys.PREFIX.startswith(ticket_link_keys.PREFIX)
    assert ticket_link_keys.DEPOSIT_CHECK_PREFIX == deposit_check_keys.PREFIX


def test_every_verdict_field_ticket_link_names_is_one_deposit_check_answers() -> None:
    """ticket_link's mirror of a check's answer (DepositClaimResponse) names deposit_check's fields by their
    names (`chain_display`, `found_on_display`, ...): a field renamed on one side only would read as null."""
    from deposit_check.schemas import CheckResponse

    mirrored = set(ticket_link_schemas.DepositClaimResponse.model_fields) - {
        "player_message",
        "ticket_note",
        "duplicate_claim",
    }
    assert mirrored <= set(CheckResponse.model_fields), mirrored - set(CheckResponse.model_fields)
    assert {"chain_display", "found_on_display"} <= mirrored
