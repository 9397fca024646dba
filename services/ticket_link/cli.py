"""`ticket-link`: serve the API, run the note worker, make API keys, hash web-form passwords, upgrade steps."""

import argparse
import asyncio
import getpass
import sys

import uvicorn

from desk_common.auth import new_key
from desk_common.logging import configure_logging
from desk_common.metrics import add_metrics_arguments, serve_metrics
from desk_common.workers import add_workers_argument, run_workers
from ticket_link.config import load_config


def _serve(args: argparse.Namespace) -> int:
    from ticket_link.app import create_app

    if args.workers > 1:
        load_config()  # a bad file stops here, once, not in every worker
        run_workers(
            "ticket_link.app:create_from_env",
            args.workers,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=False,  # as below; each worker's factory turns it off too
        )
        return 0
    # uvicorn's access log prints raw paths (ticket ids, webhook secrets): ours logs route templates.
    uvicorn.run(
        create_app(load_config()),
        host=args.host,
        port=args.port,
        log_config=None,
        log_level=args.log_level,
        access_log=False,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from ticket_link.worker import build_worker

    worker = build_worker(load_config(), concurrency=args.concurrency)
    serve_metrics(args.metrics_port, args.metrics_host)
    # saq's worker stops cleanly on SIGTERM/SIGINT: in-flight jobs finish or go back to the queue.
    asyncio.run(worker.start())
    return 0


def _new_key(args: argparse.Namespace) -> int:
    print(new_key(args.name))
    return 0


def _hash_password(_: argparse.Namespace) -> int:
    from ticket_link.web.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return 1
    else:  # piped in: the first line
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 12:
        print("use a password of at least 12 characters", file=sys.stderr)
        return 1
    print(f'password_hash = "{hash_password(password)}"')
    return 0


def _tag_keys(_: argparse.Namespace) -> int:
    import redis.asyncio as redis

    from ticket_link.upgrade import tag_keys

    config = load_config()

    async def run() -> tuple[int, int]:
        client = redis.Redis.from_url(config.redis_url)
        try:
            return await tag_keys(client)
        finally:
            await client.aclose()

    renamed, left = asyncio.run(run())
    print(f"renamed {renamed} keys to their hash-tagged names; {left} left (a tagged key of that name exists)")
    return 0 if left == 0 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticket-link", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API (bots, webhooks)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8090)
    serve.add_argument("--log-level", default="info")
    add_workers_argument(serve)
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("worker", help="run the worker that checks webhooks' claims and delivers notes")
    worker.add_argument("--concurrency", type=int, default=10)
    worker.add_argument("--log-level", default="info")
    add_metrics_arguments(worker, 9102)
    worker.set_defaults(func=_worker)

    key = sub.add_parser("new-key", help="make an API key and print its config entry")
    key.add_argument("name")
    key.set_defaults(func=_new_key)

    hashed = sub.add_parser("hash-password", help="hash a web-form agent's password (read from the terminal or stdin)")
    hashed.set_defaults(func=_hash_password)

    tag = sub.add_parser(
        "tag-keys", help="upgrade step of 2026-11-30: rename the keys written without hash tags (services stopped)"
    )
    tag.set_defaults(func=_tag_keys)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "log_level", "info"))
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
