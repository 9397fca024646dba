"""Every Redis key ticket_link uses, in one place, and the names of deposit_check's streams it reads.

ticket_link's own keys are under `tl:v1`. Tickets appear in them only as keyed hashes
(`Links.ticket_key`); tx hashes are on-chain facts, kept as they are.

Hash tags (`{...}`) keep what one transaction or script touches in one Redis Cluster slot and spread the rest:
a deposit's claim and links under `{tx hash}`, a ticket's lists under `{ticket key}`, the outbox's three keys
under `{outbox}` (one slot for every note in flight: a hot spot by design, at most a few writes per note),
saq's queue under `{ticket_link}`. tests/test_cluster_slots.py holds the rule over the whole flow.

deposit_check's event streams are its keys, not ours: they are spelled here from the contract
in docs/api.md ("Events"), never imported (ticket_link talks to deposit_check over HTTP and
Redis only). tests/test_key_contract.py holds the two sides together.
"""

PREFIX = "tl:v1"

RATE_LIMITS = f"{PREFIX}:ratelimit"  # prefix of the API-key gate's rate-limit counters (the `limits` package)
CLAIM_LIMITS = f"{PREFIX}:claimcap"  # prefix of the claim caps' counters (caps.py; `limits`, TTL: their window)
OUTBOX = f"{PREFIX}:{{outbox}}"  # zset: note key -> when last queued; every note until posted or refused for good
OUTBOX_PAYLOADS = f"{PREFIX}:{{outbox}}:payloads"  # hash: note key -> sealed note
OUTBOX_ACCEPTED = f"{PREFIX}:{{outbox}}:accepted"  # zset: note key -> when accepted (the oldest note's age, a metric)
FAILED_NOTES = f"{PREFIX}:failed-notes"  # stream: notes refused for good (helpdesk, note key, reason)
# The web form's sign-in attempts (the `limits` package's moving windows, each with its window as TTL);
# agents and addresses appear in them only as keyed hashes.
WEB_SIGN_IN_LIMITS = f"{PREFIX}:web:sign-in"
# A counter `durable` writes before its WAIT (desk_common/redis_connect.py): WAIT counts a connection's writes.
DURABLE = f"{PREFIX}:durable"

# Every other tl:v1 key has a TTL (tests/security/test_amplification.py scans for it). These do not, and why:
NO_TTL = {
    OUTBOX: "one key; an entry per note in flight, removed when the note is posted or refused for good",
    OUTBOX_PAYLOADS: "one key; the outbox's payloads, removed with their entry",
    OUTBOX_ACCEPTED: "one key; an entry per note in the outbox, removed with it",
    FAILED_NOTES: "one key; a stream capped at 10,000 entries (MAXLEN), for operators",
    DURABLE: "one key; a counter, the replication barrier before WAIT",
}
# saq's queue of note and enrich jobs. saq names its keys after it (`saq:{ticket_link}:queued`, ...) and a job's
# after the queue and the job's key (`saq:job:{ticket_link}:<job key>`), but its abort key after the job's key
# alone (`saq:abort:<job key>`): its scripts and transactions touch all of them, so the queue name and every job
# key carry one hash tag, one Redis Cluster slot (`job`). Before 2026-11-30 the queue was `ticket_link`.
QUEUE = "{ticket_link}"


def job(kind: str, key: str) -> str:
    """A saq job's key: its kind and its dedup key, under the queue's hash tag."""
    return f"{QUEUE}{kind}:{key}"


def claim(tx_hash: str) -> str:
    """Hash: the first ticket that claimed the tx (`ticket`, `ref` sealed, `at`): the duplicate-claim index."""
    return f"{PREFIX}:claim:{{{tx_hash}}}"


def deposit_tickets(tx_hash: str) -> str:
    """Hash: ticket key -> sealed ticket reference, for every ticket that linked the tx."""
    return f"{PREFIX}:deposit:{{{tx_hash}}}:tickets"


def deposit_linked_ms(tx_hash: str) -> str:
    """Hash: ticket key -> when that ticket linked the tx (Unix ms)."""
    return f"{PREFIX}:deposit:{{{tx_hash}}}:linked_ms"


def deposit_accounts(tx_hash: str) -> str:
    """Hash: ticket key -> keyed hash of the account reference the ticket claimed the tx with."""
    return f"{PREFIX}:deposit:{{{tx_hash}}}:accounts"


def ticket_deposits(ticket_key: str) -> str:
    """Set: the tx hashes a ticket linked."""
    return f"{PREFIX}:ticket:{{{ticket_key}}}:deposits"


def ticket_unknown(ticket_key: str) -> str:
    """Zset with a TTL: tx hashes no chain knew, noted together in one of the ticket's notes -> when."""
    return f"{PREFIX}:ticket:{{{ticket_key}}}:unknown"


def once(note_key: str) -> str:
    """String with a TTL: the note with this key was queued once already (notes many requests would queue)."""
    return f"{PREFIX}:once:{note_key}"


def posted(note_key: str) -> str:
    """String with a TTL: the note with this idempotency key was posted."""
    return f"{PREFIX}:posted:{note_key}"


def web_known_source(pair_key: str) -> str:
    """String with a TTL (`known_source_days`): this agent signed in from this address lately (keyed hash of both)."""
    return f"{PREFIX}:web:known:{pair_key}"


def web_session_version(agent_key: str) -> str:
    """String, TTL `session_max_age_seconds` renewed by each signed-in request: the agent's session version."""
    return f"{PREFIX}:web:session:{agent_key}"


# -- deposit_check's, read only (the contract in docs/api.md "Events") ---------------------------------

DEPOSIT_CHECK_PREFIX = "dc:v1"
DEPOSIT_CHECK_STREAMS = f"{DEPOSIT_CHECK_PREFIX}:streams"  # set: the name of every chain's event stream


def deposit_check_events(chain: str) -> str:
    """A chain's event stream (hash-tagged by chain: one Redis Cluster slot with its watch state)."""
    return f"{DEPOSIT_CHECK_PREFIX}:{{{chain}}}:events"


# -- before 2026-11-30: the same keys without hash tags (`ticket-link tag-keys` renames them) --------------

UNTAGGED = (f"{PREFIX}:claim:*", f"{PREFIX}:deposit:*", f"{PREFIX}:ticket:*", f"{PREFIX}:outbox*")  # SCAN patterns
_OUTBOX_KEYS = {f"{PREFIX}:outbox": OUTBOX, f"{PREFIX}:outbox:payloads": OUTBOX_PAYLOADS}
_OUTBOX_KEYS[f"{PREFIX}:outbox:accepted"] = OUTBOX_ACCEPTED


def tagged(old: str) -> str | None:
    """An untagged key's name today (None: not one of those, or tagged already)."""
    if "{" in old:
        return None
    if old in _OUTBOX_KEYS:
        return _OUTBOX_KEYS[old]
    parts = old.split(":")  # tl, v1, kind, id[, field]
    if len(parts) == 4 and parts[2] == "claim":
        return claim(parts[3])
    if len(parts) == 5 and parts[2] in ("deposit", "ticket"):
        return f"{PREFIX}:{parts[2]}:{{{parts[3]}}}:{parts[4]}"
    return None
