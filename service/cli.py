"""``hubhooks``: the command line. It parses, then hands over to :mod:`service.serving` or
:mod:`workers.worker`; the ``worker`` path never imports Gradio."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from service.errors import AppLoadError
from service.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hubhooks", description=__doc__)
    parser.add_argument("--log-level", default=os.environ.get("HUBHOOKS_LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the front end for APP")
    serve.add_argument("app", metavar="APP", help="a file (app.py) or a module path (pkg.app)")
    serve.add_argument("--host", help="address to bind (env GRADIO_SERVER_NAME)")
    serve.add_argument("--port", type=int, help="port to bind (env GRADIO_SERVER_PORT)")
    serve.add_argument("--workers", type=int, help="also run N worker processes here (env HUBHOOKS_WORKERS)")
    serve.add_argument("--redis-url", help="Redis to queue on (env REDIS_URL)")

    worker = commands.add_parser("worker", help="run an RQ worker for APP's handlers")
    worker.add_argument("app", metavar="APP", help="a file (app.py) or a module path (pkg.app)")
    worker.add_argument("--queue", action="append", help="queue to work (repeatable)")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.add_argument("--fork", action="store_true", help="run each job in a forked process")
    worker.add_argument("--redis-url", help="Redis to work on (env REDIS_URL)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "redis_url": args.redis_url,
        "server_name": getattr(args, "host", None),
        "server_port": getattr(args, "port", None),
        "workers": getattr(args, "workers", None),
    }
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hubhooks`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = _settings(args)
    try:
        if args.command == "worker":
            from workers.worker import run_worker

            run_worker(args.app, settings, queue_names=args.queue, burst=args.burst, fork=args.fork)
            return 0
        from service.loader import load_app
        from service.serving import serve

        loaded = load_app(args.app)
        serve(loaded.server, loaded.name, settings)
        return 0
    except AppLoadError as error:
        print(f"hubhooks: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
