"""Local dev chains with sample deposits, and a config that points at them.

Starts litecoind (regtest) and anvil, makes one deposit of each kind, writes a config file, and
(`deposit-check serve --demo`) keeps mining a block now and then so that unfinished deposits move
on while you watch. The whole desk's demo (`scripts/serve.sh --demo`, harness/demo) uses the same
chains and samples, piece by piece, and mines on its own schedule.
"""

import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from deposit_check.config import Settings
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Status

LTC_CONFIRMATIONS = 6
ETH_CONFIRMATIONS = 12
MINE_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class Sample:
    status: Status  # what the check answers right after start-up
    what: str
    chain: str
    tx_hash: str
    address: str
    expected_amount: str | None = None
    sent: str = ""  # what the player says they sent, e.g. "0.5 LTC"


class Demo:
    def __init__(self, workdir: str | None = None, api_port: int = 8080) -> None:
        self._own_dir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="deposit-check-demo-"))
        self.api_port = api_port
        self.litecoind = Litecoind(self.workdir / "litecoin")
        self.anvil = Anvil(chain_id=31337, log=self.workdir / "anvil.log")
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._miner: threading.Thread | None = None

    def start(self, settings: Settings) -> Settings:
        """Start the chains, make the samples, print them; return settings naming the demo config."""
        self.start_litecoin()
        token = self.start_ethereum()
        config = self.workdir / "deposit-check.toml"
        # No API keys here: loopback callers have every scope (never outside a demo).
        config.write_text(self.config_text(token, "[api]\ndev_mode = true\n\n"))
        self._print()
        self._miner = threading.Thread(target=self._mine_forever, name="demo-miner", daemon=True)
        self._miner.start()
        return settings.model_copy(update={"deposit_check_config": config})

    def stop(self) -> None:
        self._stop.set()
        if self._miner is not None:
            self._miner.join(timeout=10)
        self.anvil.stop()
        self.litecoind.close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_litecoin(self) -> None:
        """Start litecoind and make its samples (they go first in `samples`)."""
        node = self.litecoind
        node.start()
        node.fund("demo", blocks=101)
        deposit = node.new_address("bech32")
        done = node.send(deposit, Decimal("0.5"))
        node.mine(LTC_CONFIRMATIONS)
        confirming = node.send_outputs(deposit, [Decimal("0.1"), Decimal("0.15")])
        elsewhere = node.send(node.new_address("bech32"), Decimal("0.3"))
        node.mine(2)
        pending = node.send(deposit, Decimal("0.05"))
        self.samples[:0] = [
            Sample(Status.CONFIRMED, "0.5 LTC, exact", "litecoin", done, deposit, "0.5", "0.5 LTC"),
            Sample(
                Status.CONFIRMING,
                "2 of 6, two outputs summed, under-paid",
                "litecoin",
                confirming,
                deposit,
                "0.3",
                "0.3 LTC",
            ),
            Sample(Status.PENDING, "in the mempool", "litecoin", pending, deposit, None, "0.05 LTC"),
            Sample(Status.WRONG_ADDRESS, "pays another address", "litecoin", elsewhere, deposit, None, "0.3 LTC"),
            Sample(Status.NOT_FOUND, "unknown hash", "litecoin", "ab" * 32, deposit, None, "0.2 LTC"),
        ]

    def start_ethereum(self) -> str:
        """Start anvil and make its samples (they go last in `samples`); returns the demo token's contract."""
        a = self.anvil
        a.start()
        payer, casino = a.accounts[0], a.accounts[9]
        token = a.deploy_token("Tether USD (demo)", "USDT", 6, payer)
        eth = a.send_eth(payer, casino, 1_500_000_000_000_000_000)
        a.mine(ETH_CONFIRMATIONS)
        usdt = a.token_transfer(token, payer, casino, 250_000_000)
        a.mine(3)
        # More than the payer holds, with a fixed gas limit so it is mined and reverts.
        failed = a.token_transfer(token, casino, payer, 10**30, gas=100_000)
        self.samples += [
            Sample(Status.CONFIRMED, "1.5 ETH, exact", "ethereum", eth, casino, "1.5", "1.5 ETH"),
            Sample(Status.CONFIRMING, "250 USDT", "ethereum", usdt, casino, "250", "250 USDT"),
            Sample(Status.FAILED, "a reverted token transfer", "ethereum", failed, payer, None, "1000 USDT"),
        ]
        return token

    def config_text(self, token: str, extra: str = "") -> str:
        """deposit_check's config for the demo chains (`extra`: more TOML before the chains)."""
        return f"""# Written by the demo
{extra}[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{self.litecoind.rpc_url}"]
confirmations = {LTC_CONFIRMATIONS}

[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{self.anvil.rpc_url}"]
confirmations = {ETH_CONFIRMATIONS}

[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{token}"
decimals = 6
"""

    def _print(self) -> None:
        print("\nDemo chains are up: litecoind regtest", self.litecoind.rpc_port, "and anvil", self.anvil.rpc_url)
        print(f"A block is mined on each chain every {MINE_EVERY_SECONDS:.0f} s. Try these:\n")
        for s in self.samples:
            body = f'{{"tx_hash": "{s.tx_hash}", "address": "{s.address}", "chain": "{s.chain}"'
            if s.expected_amount:
                body += f', "expected_amount": "{s.expected_amount}"'
            print(f"# {s.chain}: {s.status} ({s.what})")
            print(f"curl -s localhost:{self.api_port}/v1/checks -H 'content-type: application/json' -d '{body}}}'\n")
        sys.stdout.flush()

    def _mine_forever(self) -> None:
        while not self._stop.wait(MINE_EVERY_SECONDS):
            try:
                self.litecoind.mine(1)
                self.anvil.mine(1)
            except Exception as exc:
                print(f"demo miner: {exc}")
