"""`deposit-check`: serve the API (optionally with local demo chains), make API keys, declare addresses."""

import argparse
import sys

import uvicorn

from deposit_check.app import create_app
from deposit_check.config import Settings, load_config
from deposit_check.ownership.commands import add_commands as add_address_commands
from desk_common.auth import new_key
from desk_common.logging import configure_logging
from desk_common.metrics import add_metrics_arguments, serve_metrics
from desk_common.workers import add_workers_argument, run_workers


def _serve(args: argparse.Namespace) -> int:
    if args.workers > 1:
        return _serve_workers(args)
    settings = Settings()
    demo = None
    if args.demo:
        from deposit_check.demo import Demo

        demo = Demo(workdir=args.demo_dir, api_port=args.port)
        settings = demo.start(settings)
    try:
        config = load_config(settings)
        if args.watch and not config.redis_url:
            raise SystemExit("--watch needs REDIS_URL: the watcher keeps its state and events in Redis")
        run_watcher = args.watch or (args.demo and config.redis_url is not None)
        uvicorn.run(
            create_app(config, run_watcher=run_watcher),
            host=args.host,
            port=args.port,
            log_config=None,
            log_level=args.log_level,
        )
    finally:
        if demo is not None:
            demo.stop()
    return 0


def _serve_workers(args: argparse.Namespace) -> int:
    """`serve --workers N`: N uvicorn processes on the port, each building the API from the environment."""
    if args.watch or args.demo:
        # Every worker would run the followers (the leases would keep all but one idle, at N times the cost).
        raise SystemExit(
            "--watch and --demo run in one process: with --workers N, run `deposit-check watch` "
            "as a process of its own (docs/operations.md)"
        )
    if not load_config().redis_url:  # a bad file stops here, once, not in every worker
        raise SystemExit(
            "--workers N needs REDIS_URL: without it each worker would keep its own check cache and rate limits"
        )
    run_workers(
        "deposit_check.app:create_from_env", args.workers, host=args.host, port=args.port, log_level=args.log_level
    )
    return 0


def _watch(args: argparse.Namespace) -> int:
    from deposit_check.watch.runner import main as watch_main

    serve_metrics(args.metrics_port, args.metrics_host)
    watch_main(load_config())
    return 0


def _new_key(args: argparse.Namespace) -> int:
    print(new_key(args.name))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deposit-check", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also start local dev chains (litecoind regtest, anvil) with sample deposits",
    )
    serve.add_argument(
        "--watch",
        action="store_true",
        help="also run the chain followers in this process (needs REDIS_URL; not with --workers N)",
    )
    serve.add_argument("--demo-dir", default=None, help="where the demo keeps its chains' data (default: a temp dir)")
    add_workers_argument(serve)
    serve.set_defaults(func=_serve)

    watch = sub.add_parser(
        "watch", help="follow the chains block by block and announce status changes (needs REDIS_URL)"
    )
    watch.add_argument("--log-level", default="info")
    add_metrics_arguments(watch, 9101)
    watch.set_defaults(func=_watch)

    key = sub.add_parser("new-key", help="make an API key and print its config entry")
    key.add_argument("name", help="who the key is for, e.g. support-bot")
    key.set_defaults(func=_new_key)

    add_address_commands(sub)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "log_level", "info"))
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
