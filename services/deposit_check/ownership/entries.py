"""Lists of addresses to declare or delete: read (CSV or JSON lines), every line checked before any write.

An address is kept in the chain's canonical form, the same one the chain adapter gives a check
(chains/utxo_address.py, chains/evm_parse.py, chains/tron/address.py): lower-case bech32, base58 as written,
EIP-55 for EVM, base58check `T...` for TRON.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from deposit_check.chains.evm_parse import parse_address as parse_evm_address
from deposit_check.chains.tron.address import parse_address as parse_tron_address
from deposit_check.chains.utxo_address import params_for_chain, parse_address
from deposit_check.config import ChainConfig, EvmChainConfig, TronChainConfig
from deposit_check.errors import InvalidAddress
from deposit_check.ownership.codec import account_error
from deposit_check.ownership.errors import InvalidEntries

Normalize = Callable[[str], tuple[str, str]]


def normalizer(name: str, config: ChainConfig) -> tuple[Normalize, str]:
    """The chain's address check (raises InvalidAddress) giving (canonical form, what the index keys on:
    the scriptPubKey for UTXO, the address for EVM), and what to call the chain's addresses."""
    if isinstance(config, EvmChainConfig):

        def evm(address: str) -> tuple[str, str]:
            canonical = parse_evm_address(address)
            return canonical, canonical

        return evm, f"{name} (EVM chain {config.chain_id})"
    if isinstance(config, TronChainConfig):

        def tron(address: str) -> tuple[str, str]:
            canonical = parse_tron_address(address)  # base58check: the index keys on it, as on the address for EVM
            return canonical, canonical

        return tron, f"{name} (TRON)"
    params = params_for_chain(name, config)
    # Past the adapter's cache: an import's million addresses would only evict the checks' entries.
    uncached = parse_address.__wrapped__

    def utxo(address: str) -> tuple[str, str]:
        parsed = uncached(address, params)
        return parsed.address, parsed.script_pubkey

    return utxo, params.label


def read_lines(text: str) -> Iterable[tuple[int, str | None, Any]]:
    """(line number, address or None, account or error) of each non-empty line: JSON lines when a
    line starts with `{`, else CSV `address[,account]` (a header line `address,...` is skipped)."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("{"):
            try:
                item = json.loads(stripped)
            except json.JSONDecodeError:
                yield number, None, "not valid JSON"
                continue
            if not isinstance(item, dict) or not isinstance(item.get("address"), str):
                yield number, None, 'expected {"address": "...", "account": "..."}'
                continue
            extra = set(item) - {"address", "account"}
            if extra:
                yield number, None, f"unknown field {sorted(extra)[0]!r}"
                continue
            yield number, item["address"], item.get("account")
            continue
        cells = next(csv.reader(io.StringIO(stripped)))
        if number == 1 and cells and cells[0].strip().lower() == "address":
            continue
        if len(cells) > 2:
            yield number, None, "expected address[,account]"
            continue
        account = cells[1].strip() if len(cells) == 2 and cells[1].strip() else None
        yield number, cells[0].strip(), account


def checked(
    items: Iterable[tuple[int | str, str | None, Any]], normalize: Normalize, label: str
) -> dict[str, str | None]:
    """Identity (see `normalizer`) -> account of every item; InvalidEntries naming each bad one
    (`line 7: ...`). Two spellings of one script are one entry."""
    entries: dict[str, str | None] = {}
    where: dict[str, str] = {}
    errors: list[str] = []
    for at, address, account in items:
        prefix = f"line {at}" if isinstance(at, int) else at
        if address is None:
            errors.append(f"{prefix}: {account}")
            continue
        try:
            canonical, identity = normalize(address)
        except InvalidAddress as exc:
            errors.append(f"{prefix}: not a {label} address ({exc.message})")
            continue
        if account is not None and not isinstance(account, str):
            errors.append(f"{prefix}: the account must be a string")
            continue
        if account is not None and (why := account_error(account)) is not None:
            errors.append(f"{prefix}: {why}")
            continue
        if identity in entries and entries[identity] != account:
            errors.append(f"{prefix}: {canonical} is already listed at {where[identity]} with another account")
            continue
        entries[identity] = account
        where[identity] = prefix
    if errors:
        raise InvalidEntries(errors)
    return entries
