"""Local dev chains with sample deposits, and a config that points at them.

Starts litecoind (regtest) and anvil, makes one deposit of each kind, writes a config file, and
(`deposit-check serve --demo`) keeps mining a block now and then so that unfinished deposits move
on while you watch. The whole desk's demo (`scripts/serve.sh --demo`, harness/demo) uses the same
chains and samples, piece by piece, and mines on its own schedule.

TRON is a replay, not a node: no TRON node can run here (java-tron ships only as Docker images), so the
TRON chain is the replay node the tests use (deposit_check.devnet.tron_replay), answering with java-tron
answers published for real mainnet transactions (tests/fixtures/tron/, each naming its source), at fixed
heights. Its samples are those transactions, with their real hashes and addresses: nothing is mined on it,
and a Tronscan link of a sample opens the real transaction.
"""

import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from deposit_check.chains.tron.address import from_hex
from deposit_check.config import Settings
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.devnet.tron_replay import TronReplayNode
from deposit_check.models import Status

LTC_CONFIRMATIONS = 6
ETH_CONFIRMATIONS = 12
MINE_EVERY_SECONDS = 30.0

# The TRON samples: published mainnet answers (tests/fixtures/tron/README.md names each page they come from).
USDT_TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # Tether's USDT contract on TRON mainnet
# usdt_transfer/info_b69c51db.json: block 66861993, USDT's Transfer log of 0x3567e0 = 3.5 USDT to cdae4e9a...
TRON_USDT_TX = "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc"
TRON_USDT_PAYEE = from_hex("cdae4e9a6287333a3f7df432b050af7b17e79e63")
# out_of_energy/info_e63a324a.json: block 66860010, a USDT call whose receipt says OUT_OF_ENERGY.
TRON_FAILED_TX = "e63a324a43aebfe41273db4f7fdfe325b2257b4f5711595a5fc0f8a75cf1b481"
# usdt_transfer/tx_2a985f0c.json: a USDT transfer(a33564d0..., 0x465000 = 4.608 USDT), its result never published.
TRON_OTHER_TX = "2a985f0c5fd37aaffca2f9c29bd1eaa50ccaae6adef7585b73ad89ae67b745a4"
# The newest block a published answer names (trx_transfer/info_23897196.json), and the solidified block the
# usual 19 blocks behind it: the replay node's heights (fixed: it mines nothing).
TRON_TIP = 66862205
TRON_SOLIDIFIED = TRON_TIP - 19
# What the notes and player messages call each network (`display_name`).
DISPLAY_NAMES = {"litecoin": "Litecoin", "ethereum": "Ethereum (ERC-20)", "tron": "TRON (TRC-20)"}
TRONSCAN_TX = "https://tronscan.org/#/transaction/{tx_hash}"


@dataclass(frozen=True)
class Sample:
    status: Status  # what the check answers right after start-up
    what: str
    chain: str
    tx_hash: str
    address: str
    expected_amount: str | None = None
    sent: str = ""  # what the player says they sent, e.g. "0.5 LTC"
    hash_only: bool = False  # the player names the hash alone: its address is found from it (a declared one)


class Demo:
    def __init__(self, workdir: str | None = None, api_port: int = 8080) -> None:
        self._own_dir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="deposit-check-demo-"))
        # Now, not when litecoind makes its datadir in it: the chains may start at once (the desk demo's threads),
        # and anvil's and the TRON replay's logs are in it (a run failed on "No such file or directory").
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.api_port = api_port
        self.litecoind = Litecoind(self.workdir / "litecoin")
        self.anvil = Anvil(chain_id=31337, log=self.workdir / "anvil.log")
        self.tron = TronReplayNode(tip=TRON_TIP, solidified=TRON_SOLIDIFIED, log=self.workdir / "tron-replay.log")
        # By chain, each filled by its start_* (they may run at once, in threads): `samples` keeps one order.
        self._samples: dict[str, list[Sample]] = {"litecoin": [], "ethereum": [], "tron": [], "across": []}
        self._stop = threading.Event()
        self._miner: threading.Thread | None = None

    def start(self, settings: Settings) -> Settings:
        """Start the chains, make the samples, print them; return settings naming the demo config."""
        self.start_litecoin()
        token = self.start_ethereum()
        self.start_tron()
        self.add_wrong_network_sample()
        config = self.workdir / "deposit-check.toml"
        # No API keys here: loopback callers have every scope (never outside a demo).
        config.write_text(self.config_text(token, "[api]\ndev_mode = true\n\n"))
        self._print()
        self._miner = threading.Thread(target=self._mine_forever, name="demo-miner", daemon=True)
        self._miner.start()
        return settings.model_copy(update={"deposit_check_config": config})

    @property
    def samples(self) -> list[Sample]:
        """Litecoin's, Ethereum's, TRON's, then the one across networks, whichever chain started first."""
        return [s for chain in self._samples.values() for s in chain]

    def stop(self) -> None:
        self._stop.set()
        if self._miner is not None:
            self._miner.join(timeout=10)
        self.tron.stop()
        self.anvil.stop()
        self.litecoind.close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_litecoin(self) -> None:
        """Start litecoind and make its samples."""
        node = self.litecoind
        node.start()
        node.fund("demo", blocks=101)
        deposit = node.new_address("bech32")
        done = node.send(deposit, Decimal("0.5"))
        node.mine(LTC_CONFIRMATIONS)
        confirming = node.send_outputs(deposit, [Decimal("0.1"), Decimal("0.15")])
        elsewhere = node.send(node.new_address("bech32"), Decimal("0.3"))
        located = node.send(deposit, Decimal("0.25"))
        node.mine(2)
        pending = node.send(deposit, Decimal("0.05"))
        self._samples["litecoin"] = [
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
            Sample(
                Status.CONFIRMING,
                "only the hash: the address found from it",
                "litecoin",
                located,
                deposit,
                None,
                "0.25 LTC",
                hash_only=True,
            ),
            Sample(Status.WRONG_ADDRESS, "pays another address", "litecoin", elsewhere, deposit, None, "0.3 LTC"),
            Sample(Status.NOT_FOUND, "unknown hash", "litecoin", "ab" * 32, deposit, None, "0.2 LTC"),
        ]

    def start_ethereum(self) -> str:
        """Start anvil and make its samples; returns the demo token's contract."""
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
        self._samples["ethereum"] = [
            Sample(Status.CONFIRMED, "1.5 ETH, exact", "ethereum", eth, casino, "1.5", "1.5 ETH"),
            Sample(Status.CONFIRMING, "250 USDT", "ethereum", usdt, casino, "250", "250 USDT"),
            Sample(Status.FAILED, "a reverted token transfer", "ethereum", failed, payer, None, "1000 USDT"),
        ]
        return token

    def start_tron(self) -> None:
        """Start the TRON replay node (published mainnet answers, fixed heights) and name its samples."""
        self.tron.start()
        self._samples["tron"] = [
            Sample(
                Status.CONFIRMED, "3.5 USDT-TRC20 (published)", "tron", TRON_USDT_TX, TRON_USDT_PAYEE, "3.5", "3.5 USDT"
            ),
            Sample(Status.FAILED, "OUT_OF_ENERGY (published)", "tron", TRON_FAILED_TX, TRON_USDT_PAYEE, None, "USDT"),
        ]

    def casino_addresses(self) -> dict[str, list[str]]:
        """The deposit addresses the desk's demo declares as the casino's: Litecoin's (so that a hash alone is found
        with its address). Ethereum and TRON declare none: their notes say ownership was not verified."""
        return {"litecoin": sorted({s.address for s in self._samples["litecoin"]})}

    def add_wrong_network_sample(self) -> None:
        """USDT sent on TRON, claimed on our Ethereum address: the most common mistake (once anvil and TRON are up)."""
        casino = self.anvil.accounts[9]
        self._samples["across"] = [
            Sample(
                Status.WRONG_NETWORK,
                "a TRC-20 hash, ETH address",
                "ethereum",
                TRON_OTHER_TX,
                casino,
                None,
                "4.608 USDT",
            )
        ]

    def config_text(self, token: str, extra: str = "") -> str:
        """deposit_check's config for the demo chains (`extra`: more TOML before the chains)."""
        return f"""# Written by the demo
{extra}[chains.litecoin]
family = "utxo"
display_name = "{DISPLAY_NAMES["litecoin"]}"
network = "regtest"
rpc_urls = ["{self.litecoind.rpc_url}"]
confirmations = {LTC_CONFIRMATIONS}

[chains.ethereum]
family = "evm"
display_name = "{DISPLAY_NAMES["ethereum"]}"
chain_id = 31337
rpc_urls = ["{self.anvil.rpc_url}"]
confirmations = {ETH_CONFIRMATIONS}

[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{token}"
decimals = 6

# A replay of published mainnet answers (tests/fixtures/tron/), not a live node: see deposit_check/demo.py.
[chains.tron]
family = "tron"
display_name = "{DISPLAY_NAMES["tron"]}"
http_urls = ["{self.tron.url}"]

[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT_TRC20}"
decimals = 6
"""

    def _print(self) -> None:
        print(
            "\nDemo chains are up: litecoind regtest",
            self.litecoind.rpc_port,
            "and anvil",
            self.anvil.rpc_url,
            "; TRON is a replay of published mainnet answers (not a live node) at",
            self.tron.url,
        )
        print(f"A block is mined on litecoin and ethereum every {MINE_EVERY_SECONDS:.0f} s. Try these:\n")
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
