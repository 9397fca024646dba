"""A watch as stored in Redis: typed in code, the same JSON as before on the wire."""

import json

import pytest

from deposit_check.models import Status
from deposit_check.ownership import UNDECLARED, Owner
from deposit_check.watch.state import Watch

# A record as the watcher stored it while `Watch.status` was a plain string.
STORED = (
    '{"chain":"litecoin","tx_hash":"' + "ab" * 32 + '","address":"rltc1qxyz","observation":{"chain":"litecoin",'
    '"tx_hash":"' + "ab" * 32 + '","found":true,"tip":110,"block":[105,"' + "cd" * 32 + '"],"block_time":null,'
    '"payments":[["LTC",8,null,"50000000"]],"reverted":false,"spends":["' + "ef" * 32 + ':0"],"sender_nonce":null,'
    '"quorum":1,"views":[]},"status":"confirming","generation":1,"asset":null,"expected":"0.5",'
    '"replaced_by":null,"registered_at":1.5,"expires_at":null}'
)


def test_a_stored_watch_reads_typed_and_writes_back_the_same_json() -> None:
    watch = Watch.from_json(STORED)
    assert watch.status is Status.CONFIRMING
    assert watch.to_json() == STORED
    assert json.loads(watch.to_json())["status"] == "confirming"


@pytest.mark.parametrize("status", list(Status))
def test_every_status_round_trips(status: Status) -> None:
    watch = Watch.from_json(STORED).with_(status=status)
    assert Watch.from_json(watch.to_json()).status is status


def test_an_unknown_status_is_refused_not_carried() -> None:
    with pytest.raises(ValueError):
        Watch.from_json(STORED.replace('"confirming"', '"credited"'))


def test_the_owner_the_check_knew_round_trips_and_old_records_read_as_undeclared() -> None:
    assert Watch.from_json(STORED).owner == UNDECLARED
    for owner in (Owner(declared=True, ours=True, account="acct-7"), Owner(declared=True, ours=False)):
        watch = Watch.from_json(STORED).with_(owner=owner)
        assert Watch.from_json(watch.to_json()).owner == owner
