"""The sample deposits the benches make on litecoind (regtest) and anvil (the nodes themselves are
`deposit_check.devnet`; Redis, servers and the worker are `harness/`)."""

from dataclasses import dataclass
from decimal import Decimal

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import AddressType, Litecoind

LTC_CONFIRMATIONS = 6
SENDS_PER_BLOCK = 20  # stays under the mempool's limit of 25 unconfirmed ancestors


@dataclass(frozen=True)
class Deposit:
    """One real tx paying `amount` (base units: litoshis, wei or token units) of `asset` to `address`."""

    chain: str
    tx_hash: str
    address: str
    asset: str
    amount: int
    decimals: int
    contract: str | None = None  # the token contract; None for the native coin

    @property
    def decimal_amount(self) -> Decimal:
        return Decimal(self.amount).scaleb(-self.decimals)


_ADDRESS_TYPES: tuple[AddressType, ...] = ("bech32", "legacy", "p2sh-segwit")


def make_utxo_deposits(node: Litecoind, count: int, addresses_per_type: int | None = 4) -> list[Deposit]:
    """`count` distinct wallet sends to a few deposit addresses of each type (None: each to an address of its
    own), all confirmed 6 times."""
    node.fund("bench", blocks=101)
    if addresses_per_type is None:
        addresses_per_type = -(-count // len(_ADDRESS_TYPES))
    deposit_addresses = [node.new_address(t) for t in _ADDRESS_TYPES for _ in range(addresses_per_type)]
    deposits: list[Deposit] = []
    for i in range(count):
        address = deposit_addresses[i % len(deposit_addresses)]
        litoshis = 100_000 * (i % 97 + 1) + i  # distinct amounts, up to ~0.1 LTC
        tx_hash = node.send(address, Decimal(litoshis).scaleb(-8))
        deposits.append(Deposit("litecoin", tx_hash, address, "LTC", litoshis, 8))
        if (i + 1) % SENDS_PER_BLOCK == 0:
            node.mine(1)
    node.mine(LTC_CONFIRMATIONS)
    return deposits


ETH_CONFIRMATIONS = 12
TOKEN_SYMBOL = "USDT"
TOKEN_DECIMALS = 6


def make_evm_deposits(node: Anvil, count: int) -> tuple[str, list[Deposit]]:
    """(token contract, `count` mined txs: ETH sends and USDT transfers alternating, to 5 addresses)."""
    accounts = node.accounts
    payers, casinos = accounts[:5], accounts[5:]
    token = node.deploy_token("Tether USD (bench)", TOKEN_SYMBOL, TOKEN_DECIMALS, payers[0])
    deposits: list[Deposit] = []
    for i in range(count):
        to = casinos[i % len(casinos)]
        if i % 2:
            units = 1_000_000 * (i % 89 + 1) + i
            tx_hash = node.token_transfer(token, payers[0], to, units)
            deposits.append(Deposit("ethereum", tx_hash, to, TOKEN_SYMBOL, units, TOKEN_DECIMALS, token))
        else:
            wei = 10**15 * (i % 83 + 1) + i
            tx_hash = node.send_eth(payers[i % len(payers)], to, wei)
            deposits.append(Deposit("ethereum", tx_hash, to, "ETH", wei, 18))
    node.mine(ETH_CONFIRMATIONS)
    return token, deposits
