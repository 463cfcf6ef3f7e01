"""docker-compose.yml: what it declares, then the topology it declares run as local processes.

The local run takes every command from the compose file (redis-server's flags, the web and worker
commands, the health checks) and the settings from .env.example, as `cp .env.example .env` would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from redis import Redis
from rq import Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from service.settings import Settings
from tests.conftest import ROOT, Process, RedisProcess, free_port, load_payload, wait_until
from tests.deploy import hubhooks_args, local_argv

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = ROOT / ".env.example"
HUB_PAYLOADS = [
    "discussion-create.json",
    "discussion-update-no-comment.json",
    "hub-docs-pr-opened.jsonc",
    "repo-content-updated-refs.json",
]


def command(service: str) -> list[str]:
    """A service's command as compose runs it: a string is split like a shell would."""
    value = SERVICES[service]["command"]
    return shlex.split(value) if isinstance(value, str) else list(value)


def health_check(service: str) -> list[str]:
    """A service's health-check command, without its ``CMD`` marker."""
    test = SERVICES[service]["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] == "CMD", f"{service}: not an exec-form check: {test!r}"
    return test[1:]


def redis_flags() -> dict[str, str]:
    """``redis-server --name value ...`` from the redis service, as {name: value}."""
    argv = command("redis")
    assert argv[0] == "redis-server", argv
    names, values = argv[1::2], argv[2::2]
    assert len(names) == len(values) and all(name.startswith("--") for name in names), argv
    return {name.removeprefix("--"): value for name, value in zip(names, values, strict=True)}


def env_file(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of an env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, equals, value = line.strip().partition("=")
        if equals and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def setting_names() -> dict[str, str]:
    """Every environment variable Settings reads, mapped to its field."""
    prefix = Settings.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for field_name, field in Settings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None)
        for name in aliases or [f"{prefix}{field_name}".upper()]:
            names[name] = field_name
    return names


# What compose declares.


def test_compose_declares_redis_web_and_worker():
    assert set(SERVICES) == {"redis", "web", "worker"}


def test_web_and_worker_commands_are_the_real_cli_on_the_same_app():
    web, worker = hubhooks_args(command("web")), hubhooks_args(command("worker"))
    assert web.command == "serve"
    assert worker.command == "worker"
    # Jobs name the app as the front end loaded it; a worker must resolve the same name.
    assert web.app == worker.app
    assert (ROOT / web.app).is_file()
    # Where to listen and which Redis come from the image and the environment, not from flags.
    assert web.port is None and web.host is None and web.redis_url is None
    assert worker.redis_url is None and not worker.burst


def test_web_and_worker_run_one_image_built_from_this_repo():
    web, worker = SERVICES["web"], SERVICES["worker"]
    assert web["build"] == worker["build"] == "."
    assert web["image"] == worker["image"]


def test_web_and_worker_reach_redis_by_service_name_once_it_is_healthy():
    for name in ("web", "worker"):
        service = SERVICES[name]
        redis_url = urlsplit(service["environment"]["REDIS_URL"])
        assert redis_url.scheme == "redis" and redis_url.hostname == "redis" and redis_url.port == 6379
        assert service["depends_on"] == {"redis": {"condition": "service_healthy"}}
        assert service["env_file"] == [".env"]


def test_every_service_has_a_health_check():
    assert health_check("redis") == ["redis-cli", "ping"]
    assert health_check("web")[:2] == ["python", "-c"]
    assert "/health/ready" in health_check("web")[2]
    assert health_check("worker")[:2] == ["python", "-c"]


def test_redis_appends_every_write_to_a_named_volume():
    assert redis_flags().get("appendonly") == "yes"
    # redis:7 keeps its data (and so the AOF) in /data unless --dir says otherwise.
    assert "dir" not in redis_flags()
    volumes = [volume.split(":") for volume in SERVICES["redis"]["volumes"]]
    named = [source for source, target, *_ in volumes if target == "/data"]
    assert named and named[0] in COMPOSE["volumes"], volumes


def test_worker_can_be_scaled():
    worker = SERVICES["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "hostname" not in worker  # the worker health check tells replicas apart by hostname
    assert SERVICES["web"]["ports"] == ["7860:7860"]


def test_env_example_names_only_settings_hubhooks_reads_with_their_real_defaults():
    readable = setting_names()
    declared = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    assert {"HUBHOOKS_WORKERS", "HUBHOOKS_QUEUE", "HUBHOOKS_MAX_BODY_BYTES", "HUBHOOKS_JOB_TIMEOUT"} <= {
        name for name, _ in declared
    }
    for name, value in declared:
        assert name in readable, f".env.example sets {name}, which hubhooks never reads"
        if name in env_file(ENV_EXAMPLE):
            continue
        # A commented line shows the default.
        assert value == str(Settings.model_fields[readable[name]].default), name
    assert env_file(ENV_EXAMPLE).get("WEBHOOK_SECRET"), "the example must show a secret to set"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


# The same topology, as local processes.


@pytest.fixture
def compose_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """redis-server with the redis service's flags, its data directory standing for the volume."""
    flags = redis_flags()
    # RedisProcess knows these; a new flag in the compose file must be taught to it, not dropped.
    unknown = set(flags) - {"appendonly"}
    assert not unknown, f"RedisProcess cannot start redis-server with {sorted(unknown)}"
    server = RedisProcess(tmp_path / "redis-data", appendonly=flags["appendonly"] == "yes")
    server.start()
    yield server
    server.stop()


def service_env(service: str, redis: RedisProcess) -> dict[str, str]:
    """The service's environment: .env.example as its .env, then `environment`, Redis made local."""
    environment = {**env_file(ENV_EXAMPLE), **SERVICES[service].get("environment", {})}
    return {**environment, "REDIS_URL": redis.url}


def start_web(spawn: Callable[..., Process], redis: RedisProcess) -> Process:
    port = free_port()
    web = spawn([*local_argv(command("web")), "--port", str(port)], service_env("web", redis), name="web")
    web.url = f"http://127.0.0.1:{port}"

    def live() -> bool:
        if web.popen.poll() is not None:
            pytest.fail(f"web exited with {web.popen.returncode}:\n{web.output()}")
        try:
            return httpx.get(web.url + "/health/live", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(live, timeout=60, interval=0.2)
    return web


def start_worker(spawn: Callable[..., Process], redis: RedisProcess) -> Process:
    return spawn(local_argv(command("worker")), service_env("worker", redis), name="worker")


def run_health_check(service: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """The service's health check run here; ``extra`` goes right after the program's name."""
    argv = local_argv(health_check(service))
    return subprocess.run(
        [argv[0], *extra, *argv[1:]],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )


def port_env(web: Process) -> dict[str, str]:
    """What the web health check reads to find the front end (the image's 7860 is not ours here)."""
    return {"GRADIO_SERVER_PORT": str(urlsplit(web.url).port)}


def ready_workers(web: Process) -> object:
    return httpx.get(web.url + "/health/ready", timeout=5).json().get("workers")


def post(web: Process, route: str, payload: dict, secret: str | None) -> httpx.Response:
    headers = {"X-Webhook-Secret": secret} if secret is not None else {}
    return httpx.post(web.url + route, content=json.dumps(payload), headers=headers, timeout=10)


def finished(job_id: str, redis: RedisProcess) -> Job:
    job = Job.fetch(job_id, connection=Redis.from_url(redis.url), serializer=JSONSerializer)

    def done() -> bool:
        status = job.get_status(refresh=True)
        if status == "failed":
            result = job.latest_result()
            pytest.fail(f"job {job_id} failed:\n{result.exc_string if result else '?'}")
        return status == "finished"

    wait_until(done, timeout=30)
    return job


def content_update(repo_type: str) -> dict:
    """The Hub's repo-content payload, for a repo of another type."""
    payload = load_payload("repo-content-updated-refs.json")
    payload["repo"]["type"] = repo_type
    return payload


def test_compose_topology_runs_every_hub_payload_through_web_and_two_workers(compose_redis, spawn):
    assert Redis.from_url(compose_redis.url).config_get("appendonly") == {"appendonly": "yes"}
    secret = env_file(ENV_EXAMPLE)["WEBHOOK_SECRET"]
    web = start_web(spawn, compose_redis)
    worker_check_env = {"REDIS_URL": compose_redis.url}
    assert run_health_check("worker", worker_check_env).returncode == 1  # no worker on this host yet
    workers = [start_worker(spawn, compose_redis) for _ in range(2)]
    wait_until(lambda: ready_workers(web) == 2, timeout=30)

    web_check = run_health_check("web", port_env(web))
    assert web_check.returncode == 0, web_check.stderr
    redis_check = run_health_check("redis", {}, "-p", str(compose_redis.port))
    assert (redis_check.returncode, redis_check.stdout.strip()) == (0, "PONG"), redis_check.stderr
    worker_check = run_health_check("worker", worker_check_env)
    assert worker_check.returncode == 0, worker_check.stderr

    assert post(web, "/webhooks/trigger_training", content_update("dataset"), secret=None).status_code == 401
    expected: dict[str, dict] = {}
    for name in HUB_PAYLOADS:
        payload = load_payload(name)
        nothing = {"started": "nothing", "reason": f"{payload['repo']['type']} {payload['event']['scope']}"}
        for route in ("/webhooks/trigger_training", "/webhooks/trigger_evaluation"):
            answer = post(web, route, payload, secret)
            assert answer.status_code == 202, (name, route, answer.text)
            expected[answer.json()["job_id"]] = nothing
    dataset, model = content_update("dataset"), content_update("model")
    for route, payload, started in [
        ("/webhooks/trigger_training", dataset, {"started": "training", "dataset": dataset["repo"]["name"]}),
        ("/webhooks/trigger_evaluation", model, {"started": "evaluation", "model": model["repo"]["name"]}),
    ]:
        answer = post(web, route, payload, secret)
        assert answer.status_code == 202, answer.text
        expected[answer.json()["job_id"]] = started

    # The shared repo-content payload is a Space's: the example app starts nothing for it.
    assert {"started": "nothing", "reason": "space repo.content"} in expected.values()
    registered = {worker.name for worker in Worker.all(connection=Redis.from_url(compose_redis.url))}
    assert len(registered) == 2
    for job_id, value in expected.items():
        job = finished(job_id, compose_redis)
        assert job.return_value() == value, job_id
        assert job.worker_name in registered
    assert all(worker.popen.poll() is None for worker in workers)


def test_accepted_events_survive_a_redis_restart_under_the_compose_flags(compose_redis, spawn):
    secret = env_file(ENV_EXAMPLE)["WEBHOOK_SECRET"]
    web = start_web(spawn, compose_redis)
    web_check_env = port_env(web)
    answer = post(web, "/webhooks/trigger_training", content_update("dataset"), secret)
    assert answer.status_code == 202, answer.text

    # `docker compose restart redis`: SIGTERM, then the same flags on the same data.
    assert compose_redis.process is not None
    compose_redis.process.send_signal(signal.SIGTERM)
    assert compose_redis.process.wait(timeout=10) == 0
    assert run_health_check("web", web_check_env).returncode == 1  # not ready while Redis is away
    compose_redis.start()

    wait_until(lambda: run_health_check("web", web_check_env).returncode == 0, timeout=30)
    start_worker(spawn, compose_redis)
    job = finished(answer.json()["job_id"], compose_redis)
    assert job.return_value() == {"started": "training", "dataset": content_update("dataset")["repo"]["name"]}
