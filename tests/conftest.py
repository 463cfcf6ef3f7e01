"""Fixtures in layers: a real redis-server per session, real front-end and worker processes.

Nothing here fakes Redis or HTTP: the servers are ``redis-server`` and ``hubhooks serve`` processes
on free ports, and workers are ``hubhooks worker`` processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
# The team's reference payloads (../shared/payloads, the Hub's own bodies) when this checkout
# sits beside them; else the copy kept in tests/payloads, so that a lone clone tests the same.
SHARED_PAYLOADS = ROOT.parent / "shared" / "payloads"
PAYLOADS = SHARED_PAYLOADS if SHARED_PAYLOADS.is_dir() else ROOT / "tests" / "payloads"
RECORDING_APP = "tests/apps/recording_app.py"
SECRET = "s3cret-for-tests"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_payload(name: str) -> dict:
    """A Hub payload from ../shared/payloads, with the `//` comment lines of .jsonc stripped."""
    text = (PAYLOADS / name).read_text()
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return json.loads("\n".join(lines))


def wait_until(condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.05) -> object:
    """Poll ``condition`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s: {condition}")


@dataclass(frozen=True)
class TlsFiles:
    """A CA and the certificate it signed for 127.0.0.1, as PEM files."""

    ca: Path
    cert: Path
    key: Path


class RedisProcess:
    """A throwaway redis-server on a free port in its own directory, stopped by its PID.

    ``config`` lines go to the server's configuration file (``rename-command EVALSHA ""``, say).
    With ``tls`` it takes TLS connections only, and :attr:`url` is a ``rediss://`` URL naming the CA.
    """

    def __init__(
        self,
        directory: Path,
        appendonly: bool = False,
        config: Sequence[str] = (),
        tls: TlsFiles | None = None,
    ) -> None:
        self.directory = directory
        self.appendonly = appendonly
        self.config = list(config)
        self.tls = tls
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.tls is not None:
            return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={self.tls.ca}"
        return f"redis://127.0.0.1:{self.port}/0"

    def admin(self) -> Redis:
        """A client for the test itself: RESP2, which every server speaks (HELLO may be renamed)."""
        return Redis.from_url(self.url, protocol=2)

    def start(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is not installed: .ci/run installs it from Debian's packages"
        self.directory.mkdir(parents=True, exist_ok=True)
        config_file = self.directory / "redis.conf"
        config_file.write_text("".join(f"{line}\n" for line in self.config))
        listen = ["--port", str(self.port)]
        if self.tls is not None:
            listen = [
                "--port", "0",
                "--tls-port", str(self.port),
                "--tls-cert-file", str(self.tls.cert),
                "--tls-key-file", str(self.tls.key),
                "--tls-ca-cert-file", str(self.tls.ca),
                "--tls-auth-clients", "no",
            ]  # fmt: skip
        self.process = subprocess.Popen(
            [
                executable,
                str(config_file),
                *listen,
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--logfile", str(self.directory / "redis.log"),
            ]
        )  # fmt: skip
        client = self.admin()
        wait_until(lambda: _pings(client) or self._exited(), timeout=10)
        assert self.process.poll() is None, (self.directory / "redis.log").read_text()

    def _exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self, graceful: bool = False) -> None:
        """Kill the server, or with ``graceful`` let it shut down (flushing its AOF) on SIGTERM."""
        if self.process is not None and self.process.poll() is None:
            if graceful:
                self.process.terminate()
            else:
                self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def _pings(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    """The session Redis, emptied for this test."""
    Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throwaway CA (trustme) and a server certificate it signed for 127.0.0.1 and localhost."""
    import trustme

    directory = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server.key")
    authority.cert_pem.write_to_path(str(files.ca))
    issued.cert_chain_pems[0].write_to_path(str(files.cert))
    issued.private_key_pem.write_to_path(str(files.key))
    return files


@pytest.fixture
def start_redis(tmp_path: Path) -> Iterator[Callable[..., RedisProcess]]:
    """Start redis-servers of this test's own, configured as asked; all stopped after the test."""
    started: list[RedisProcess] = []

    def start(config: Sequence[str] = (), tls: TlsFiles | None = None) -> RedisProcess:
        server = RedisProcess(tmp_path / f"redis-{len(started)}", config=config, tls=tls)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A Redis of this test's own, which the test may stop and start."""
    server = RedisProcess(tmp_path / "own-redis")
    server.start()
    yield server
    server.stop()


@dataclass
class Process:
    """A child process of the test, its output kept in a file."""

    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill_group(self) -> None:
        """SIGKILL what the process left behind (RQ's scheduler is a forked child)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start a command (from the repo root, unless ``cwd``) with extra environment; every process is
    stopped after."""
    started: list[Process] = []

    def start(
        command: list[str], env: dict[str, str] | None = None, name: str = "proc", cwd: Path = ROOT
    ) -> Process:
        log = tmp_path / f"{name}-{len(started)}.log"
        # This checkout's code, also for `python tests/apps/x.py` and for another `cwd` (the
        # installed, editable hubhooks may be another checkout).
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})}
        with log.open("wb") as sink:
            popen = subprocess.Popen(
                command,
                cwd=cwd,
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(popen, log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop(signal.SIGKILL if process.popen.poll() is None else signal.SIGTERM, timeout=5)
        process.kill_group()
        print(f"--- {process.log.name} ---\n{process.output()}")  # shown by pytest when a test fails


def hubhooks(*args: str) -> list[str]:
    """The ``hubhooks`` console script, run with this interpreter."""
    return [sys.executable, "-m", "service.cli", *args]


@pytest.fixture
def front_end(spawn: Callable[..., Process]) -> Callable[..., Process]:
    """Start ``hubhooks serve APP`` on a free port and wait until it answers HTTP."""

    def start(redis_url: str | None, app: str = RECORDING_APP, env: dict[str, str] | None = None) -> Process:
        port = free_port()
        environment = {"WEBHOOK_SECRET": SECRET, **(env or {})}
        if redis_url is not None:
            environment["REDIS_URL"] = redis_url
        process = spawn(hubhooks("serve", app, "--port", str(port)), environment, name="serve")
        process.url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(process), timeout=60, interval=0.2)
        return process

    return start


def _answers(process: Process) -> bool:
    if process.popen.poll() is not None:
        pytest.fail(f"front end exited with {process.popen.returncode}:\n{process.output()}")
    try:
        return httpx.get(process.url + "/docs", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def worker(spawn: Callable[..., Process]) -> Callable[..., Process]:
    """Start ``hubhooks worker APP`` against a Redis."""

    def start(
        redis_url: str, app: str = RECORDING_APP, *extra: str, env: dict[str, str] | None = None
    ) -> Process:
        environment = {"REDIS_URL": redis_url, **(env or {})}
        return spawn(hubhooks("worker", app, *extra), environment, name="worker")

    return start


def ran_events(redis_url: str) -> list[dict]:
    """What the recording app's handlers wrote, oldest first."""
    return [json.loads(item) for item in Redis.from_url(redis_url).lrange("test:ran", 0, -1)]
