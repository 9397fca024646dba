"""Every Redis key deposit_check uses, in one place.

A chain's keys share one hash tag (`{chain}`): its watch state and event stream (a block's changes are
written in one transaction), its ownership index and version, its reorg marks and the cached answers of
checks that ask it first (read in one command with the version, marks and the address's entry). On Redis
Cluster that is one slot per chain; the rule (every multi-key command, transaction and script in one slot)
is held by tests/test_cluster_slots.py over the whole flow.
"""

import hashlib

PREFIX = "dc:v1"


def check(tag: str, chain: str | None, tx_hash: str, address: str, asset: str | None, expected: str | None) -> str:
    """Cache key of one check request (the request is normalized before it gets here), under the hash tag of
    `tag`, the chain it asks first: read in one command with that chain's ownership version, reorg mark and
    the address's ownership entry, so one slot on Redis Cluster (the answers spread over slots by chain).

    The value is the answer with its metric labels on a first line (`service.Answer`); answers
    cached by earlier versions were under `answer:` (no tag) or `check:` and are not read."""
    raw = "\x1f".join((chain or "*", tx_hash, address, asset or "", expected or ""))
    return f"{PREFIX}:{{{tag}}}:answer:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


def check_under_ownership(check_key: str, versions: tuple[int, ...]) -> str:
    """A check's cache key under its chains' ownership versions: an import or delete makes older answers
    unreachable. Unchanged while nothing was ever declared (versions all 0)."""
    return check_key if not any(versions) else f"{check_key}:o{'.'.join(map(str, versions))}"


def seen_digest(address: str) -> str:
    """An address as it appears in the watcher index's key names (a digest: key names stay short and plain)."""
    return hashlib.blake2b(address.encode(), digest_size=12).hexdigest()


class ChainKeys:
    """The keys of one chain's watcher."""

    def __init__(self, chain: str) -> None:
        base = f"{PREFIX}:{{{chain}}}"
        self.watches = f"{base}:watches"  # hash: tx hash -> watch state (JSON)
        self.unmined = f"{base}:unmined"  # zset: not yet in a block; score = next poll time
        self.expiry = f"{base}:expiry"  # zset: unmined watches; score = when to give up
        self.confirming = f"{base}:confirming"  # zset: mined, not final; score = block height
        self.settled = f"{base}:settled"  # zset: final, kept for the reorg window; score = block height
        self.spends = f"{base}:spends"  # hash: outpoint "txid:vout" -> watched tx that spends it (UTXO)
        self.nonces = f"{base}:nonces"  # hash: "sender:nonce" -> watched tx (EVM)
        self.blocks = f"{base}:blocks"  # zset: "height:hash" of the recent blocks processed; score = height
        self.cursor = f"{base}:cursor"  # string: "height:hash" of the last block processed
        self.lease = f"{base}:lease"  # string: the follower holding this chain, with a TTL
        self.events = f"{base}:events"  # stream: status changes
        # Ownership (ownership/): the casino's addresses as keyed hashes in small hashes ("buckets",
        # listpack-encoded: ~40 bytes an address), each bucket `{base}:own:<n>`.
        self.owned_meta = f"{base}:own"  # hash: count (addresses)
        # string: bumped on every change. Not a field of owned_meta: a cached check reads it in the same MGET
        # as its answer (service.py), one round trip.
        self.owned_version = f"{base}:own:version"
        self.owned_used = f"{base}:own:used"  # zset: "<key #>:<branch>" -> highest derived index seen used
        self.owned_derived = f"{base}:own:derived"  # hash: "<key fingerprint>:<branch>" -> next index to derive
        self.owned_lease = f"{base}:own:lease"  # string: the derivation loop deriving this chain, with a TTL
        # The watcher's index of payments to owned addresses (lookups/watcher_index.py), kept for the window:
        self.seen_log = f"{base}:seen"  # zset: "<address digest>" per block that paid it; score = height (reorgs)
        self.seen_start = f"{base}:seen:start"  # string: "height:unix time" of the first block indexed
        self._base = base

    def seen(self, address: str) -> str:
        """zset: the index's entries (JSON) of payments to one address; score = block height."""
        return self.seen_by_digest(seen_digest(address))

    def seen_by_digest(self, digest: str) -> str:
        return f"{self._base}:seen:{digest}"

    def owned(self, bucket: int) -> str:
        """One bucket of the chain's ownership index."""
        return f"{self._base}:own:{bucket}"

    def reorged(self, tx_hash: str) -> str:
        """Set when a reorg took a deposit's status back: cached verdicts of it are not to be trusted."""
        return f"{self._base}:reorged:{tx_hash}"


RATE_LIMITS = f"{PREFIX}:ratelimit"  # prefix of the API-key gate's rate-limit counters (the `limits` package)
STREAMS = f"{PREFIX}:streams"  # set: the event streams that exist (for consumers to discover)

# Every other dc:v1 key has a TTL (cached answers, reorg marks, leases, rate-limit counters;
# tests/security/test_amplification.py scans for it). These do not, and why (glob patterns, `*` a chain):
NO_TTL = {
    f"{PREFIX}:{{*}}:watches": "one per chain; an entry per watched deposit, removed when its watch ends",
    f"{PREFIX}:{{*}}:unmined": "one per chain; indexes the watches, entries removed with them",
    f"{PREFIX}:{{*}}:expiry": "one per chain; indexes the watches, entries removed with them",
    f"{PREFIX}:{{*}}:confirming": "one per chain; indexes the watches, entries removed with them",
    f"{PREFIX}:{{*}}:settled": "one per chain; indexes the watches, entries removed with them",
    f"{PREFIX}:{{*}}:spends": "one per chain; indexes the watches, entries removed with them",
    f"{PREFIX}:{{*}}:nonces": "one per chain; indexes the watches, entries removed with them",
    f"{PREFIX}:{{*}}:blocks": "one per chain; the last BLOCKS_KEPT blocks processed (trimmed every block)",
    f"{PREFIX}:{{*}}:cursor": "one per chain; the last block processed",
    f"{PREFIX}:{{*}}:events": "one per chain; a stream capped at STREAM_MAXLEN entries",
    f"{PREFIX}:{{*}}:own": "one per chain; the operator's declared addresses (ownership), kept until deleted",
    f"{PREFIX}:{{*}}:own:*": "per chain, at most 16,384 buckets and their meta: declared data, written by operators only",
    STREAMS: "one key; a member per chain's stream",
}
