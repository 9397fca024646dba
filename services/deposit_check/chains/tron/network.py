"""Which TRON network a node serves: its genesis block's id (`/wallet/getblockbynum {"num": 0}`) against the
configured network's published one. java-tron answers no chain id over its HTTP API, and the genesis block is
what tells networks apart: it is what nodes compare when they meet (a peer with another genesis is dropped).

The published ids: TRON's own TIP-474 (tronprotocol/tips `tip-474.md` @ ad70fd92c4ad7ad3f5c62112fa8a822fb91c2715,
status Final), which lists each network's genesis block id as the `chainid` opcode once returned it, and its
last 4 bytes as the chain id `eth_chainId` answers (mainnet 0x2b6653dc, Nile 0xcd8690dc, Shasta 0x94a9059e).
Mainnet's is also the `blockID` of a published getblockbynum 0 answer (tests/fixtures/tron/genesis/) and the
`parentHash` of block 1 in a published getblockbylimitnext answer (GetBlock-io/getblock-docs). (An early draft
of ChainAgnostic's tron/caip2.md swapped the Nile and Shasta ids; TIP-474 is the one to trust.)

An endpoint is checked before anything else is asked of it, then trusted for `recheck_seconds` or until it
fails (a node that went away may come back as another one). One on the wrong network fails like a dead one:
the pool asks the next, and with none left a check is unavailable (503), never a verdict from another chain.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from deposit_check.chains.endpoints import EndpointFailure

GENESIS: dict[str, str] = {
    "mainnet": "00000000000000001ebf88508a03865c71d452e25f4d51194196a1d22b6653dc",
    "nile": "0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc",
    "shasta": "0000000000000000de1aa88295e1fcf982742f773e0419c5a9c134c994a9059e",
}
GENESIS_CALL = ("/wallet/getblockbynum", {"num": 0})
RECHECK_SECONDS = 300.0  # a URL pointed at another network (DNS, a provider's mistake) is caught within this


class WrongNetwork(EndpointFailure):
    """The node serves another network than the chain's (or none we can tell): ask the next one."""


class _Node(Protocol):
    @property
    def base(self) -> str: ...


Call = Callable[[Any, str, dict[str, Any]], Awaitable[Any]]


class NetworkCheck:
    """Each endpoint's genesis block, read before its first use and again `recheck_seconds` later."""

    def __init__(self, network: str, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.network = network
        self.genesis = GENESIS[network]
        self.recheck_seconds = recheck_seconds
        self._checked: dict[str, float] = {}  # node base URL -> when its genesis was last found right
        self._locks: dict[str, asyncio.Lock] = {}

    def _fresh(self, node: _Node) -> bool:
        checked = self._checked.get(node.base)
        return checked is not None and time.monotonic() - checked < self.recheck_seconds

    async def ensure(self, node: _Node, call: Call) -> None:
        """Return when `node` serves the configured network; WrongNetwork naming what it serves otherwise."""
        if self._fresh(node):
            return
        # Concurrent first calls on one endpoint (a burst of checks at start) share one genesis read.
        async with self._locks.setdefault(node.base, asyncio.Lock()):
            if self._fresh(node):
                return
            answer = await call(node, *GENESIS_CALL)
            served = str(answer.get("blockID", "")).lower() if isinstance(answer, dict) else ""
            if not served:
                raise WrongNetwork(
                    "the node answers no genesis block (getblockbynum 0): not a TRON full node serving block 0"
                )
            if served != self.genesis:
                known = next((name for name, genesis in GENESIS.items() if genesis == served), None)
                raise WrongNetwork(
                    f"wrong network: the node's genesis block is {served[:64]} "
                    f"({f'TRON {known}' if known else 'no TRON network we know'}), this chain is configured for "
                    f"TRON {self.network} ({self.genesis})"
                )
            self._checked[node.base] = time.monotonic()

    def forget(self, node: _Node) -> None:
        """After a failure: read the genesis again before the endpoint's next use."""
        self._checked.pop(node.base, None)
