"""`python -m harness.demo [--verbose] [--block-seconds N]`: run from the repository's root (scripts/serve.sh --demo)."""

import argparse
import sys

from harness.demo.desk import Options, main
from harness.demo.supervisor import raise_on_signals


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="serve.sh --demo", description=__doc__)
    parser.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)  # serve.sh passes it on
    parser.add_argument("--verbose", action="store_true", help="show every process's log here as it is written")
    parser.add_argument(
        "--block-seconds", type=float, default=5.0, help="mine a block on each chain this often (default: 5)"
    )
    args = parser.parse_args(argv)
    if args.block_seconds <= 0:
        parser.error("--block-seconds must be above 0")
    return Options(block_seconds=args.block_seconds, verbose=args.verbose)


if __name__ == "__main__":
    options = parse()
    raise_on_signals()
    sys.exit(main(options))
