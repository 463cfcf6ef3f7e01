"""``hubhooks``: the command line. It parses, then hands over to :mod:`service.serving` or
:mod:`workers.worker`; the ``worker`` path never imports Gradio."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from service.errors import AppLoadError, RedisCheckError
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
    serve.add_argument("--share", action="store_true", help="open a Gradio share link (needs a secret)")

    worker = commands.add_parser("worker", help="run an RQ worker for APP's handlers")
    worker.add_argument("app", metavar="APP", help="a file (app.py) or a module path (pkg.app)")
    worker.add_argument(
        "--queue",
        action="append",
        help="queue to work, repeatable, in priority order (default: HUBHOOKS_QUEUE, the app's default)",
    )
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.add_argument("--fork", action="store_true", help="run each job in a forked process")
    worker.add_argument("--redis-url", help="Redis to work on (env REDIS_URL)")

    info = commands.add_parser("info", help="print queue counts and workers")
    info.add_argument("--queue", action="append", help="queue to show (repeatable; default: every queue)")
    info.add_argument("--redis-url", help="Redis to read (env REDIS_URL)")

    requeue = commands.add_parser("requeue", help="move failed jobs back onto their queue")
    requeue.add_argument("job_ids", metavar="JOB_ID", nargs="*", help="jobs to requeue")
    requeue.add_argument("--all", action="store_true", help="requeue every failed job of the queue")
    requeue.add_argument("--route", help="requeue every failed job of this route (/webhooks/NAME)")

    replay = commands.add_parser("replay", help="enqueue past events again, as new jobs")
    replay.add_argument("app", metavar="APP", help="the app whose handlers take the events")
    replay.add_argument("job_ids", metavar="JOB_ID", nargs="+", help="jobs whose events to replay")

    send = commands.add_parser("send", help="POST a simulated Hub event to URL and print the answer")
    send.add_argument("url", metavar="URL", nargs="?", help="a webhook URL (http://host:7860/webhooks/NAME)")
    send.add_argument("--scope", default="repo.content", help="event.scope (default repo.content)")
    send.add_argument("--repo", default="user/model", help="repo.name (default user/model)")
    send.add_argument("--type", dest="repo_type", default="model", help="model, dataset or space")
    send.add_argument("--action", help="create, delete, move or update (default: the scope's usual)")
    send.add_argument("--private", action="store_true", help="a private repo")
    send.add_argument("--secret", help="X-Webhook-Secret to send (default: env WEBHOOK_SECRET)")
    send.add_argument("--print", dest="print_only", action="store_true", help="print the payload only")

    delete = commands.add_parser("delete", help="delete jobs that are not running")
    delete.add_argument("job_ids", metavar="JOB_ID", nargs="+", help="jobs to delete")
    for command in (requeue, replay):
        command.add_argument("--queue", help="the queue (default HUBHOOKS_QUEUE)")
    for command in (requeue, replay, delete):
        command.add_argument("--redis-url", help="Redis to use (env REDIS_URL)")
    return parser


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from redis import exceptions as redis_errors

    from service import cli_admin
    from service.connection import connect, display_url
    from service.redis_diagnosis import describe_error

    if settings.embedded:
        print(
            "hubhooks: set REDIS_URL (or --redis-url): the embedded queue lives inside its server",
            file=sys.stderr,
        )
        return 2
    assert settings.redis_url is not None
    try:
        connection = connect(settings.redis_url, settings.redis_timeout_seconds)
    except ValueError as error:  # redis-py parses the URL here
        print(f"hubhooks {args.command}: REDIS_URL is not a usable Redis URL: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "info":
            return cli_admin.print_info(
                connection, args.queue or cli_admin.all_queues(connection, settings.queue)
            )
        if args.command == "delete":  # a job knows its queue
            return cli_admin.delete(connection, args.job_ids)
        queue = args.queue or settings.queue
        if args.command == "replay":
            return cli_admin.replay(connection, queue, args.app, args.job_ids, settings.job_timeout)
        return cli_admin.requeue(connection, queue, args.job_ids, args.all, args.route)
    except (redis_errors.ConnectionError, redis_errors.TimeoutError) as error:
        problem, _transient = describe_error(error, settings.redis_url, settings.redis_timeout_seconds)
        print(
            f"hubhooks {args.command}: Redis at {display_url(settings.redis_url)}: {problem}.",
            file=sys.stderr,
        )
        return 2


def _send(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from service.simulator import SimulatedEvent, encode, post_event

    try:
        event = SimulatedEvent(args.scope, args.repo, args.repo_type, args.action, args.private)
    except ValueError as error:
        print(f"hubhooks send: {error}", file=sys.stderr)
        return 2
    payload = event.payload()
    if args.print_only:
        print(json.dumps(payload, indent=2))
        return 0
    if not args.url:
        print("hubhooks send: give the webhook URL (or --print)", file=sys.stderr)
        return 2
    secret = args.secret or (settings.webhook_secret.get_secret_value() if settings.webhook_secret else None)
    try:
        status, answer = post_event(args.url, encode(payload), secret)
    except (OSError, ValueError) as error:
        print(f"hubhooks send: no answer from {args.url}: {error}", file=sys.stderr)
        return 2
    print(f"HTTP {status} {answer}")
    return 0 if 200 <= status < 300 else 1


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "redis_url": getattr(args, "redis_url", None),
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
    if args.command in ("info", "requeue", "replay", "delete"):
        return _admin(args, settings)
    if args.command == "send":
        return _send(args, settings)
    try:
        if args.command == "worker":
            from workers.worker import run_worker

            run_worker(args.app, settings, queue_names=args.queue, burst=args.burst, fork=args.fork)
            return 0
        from service.loader import load_app
        from service.serving import serve
        from service.tunnel import ShareOptions

        loaded = load_app(args.app)
        serve(loaded.server, loaded.name, settings, share=ShareOptions() if args.share else None)
        return 0
    except (AppLoadError, RedisCheckError) as error:
        print(f"hubhooks: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
