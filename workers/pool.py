"""A pool of ``hubhooks worker`` processes supervised by the front end (``--workers N``).

For one-container deployments (a Space): the front end starts N worker processes for its app,
each working every queue the app writes to, restarts any that dies, and stops them (SIGTERM,
then SIGKILL after a grace period) on exit. A worker that exits with 2 (a configuration error:
the app does not load, Redis cannot serve it) is not restarted: it would fail the same way.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

logger = logging.getLogger(__name__)

# The exit code of `hubhooks` for a configuration error (service/cli.py).
CONFIGURATION_ERROR = 2


class WorkerPool:
    """N worker processes for one app, kept alive until :meth:`stop`."""

    def __init__(
        self, app_spec: str, size: int, queues: list[str] | None = None, grace_seconds: float = 30.0
    ) -> None:
        self.app_spec = app_spec
        self.size = size
        self.queues = list(queues or [])
        self.grace_seconds = grace_seconds
        self.processes: list[subprocess.Popen[bytes]] = []
        self._given_up: set[subprocess.Popen[bytes]] = set()
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="hubhooks-pool", daemon=True)

    def __repr__(self) -> str:
        return f"WorkerPool(app={self.app_spec!r}, size={self.size}, queues={self.queues!r})"

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "service.cli", "worker", self.app_spec]
        for queue in self.queues:
            command += ["--queue", queue]
        process = subprocess.Popen(command)
        logger.info("Pool: started worker process %s", process.pid)
        return process

    def start(self) -> None:
        """Start the processes and the thread that restarts those that die."""
        self.processes = [self._spawn() for _ in range(self.size)]
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for index, process in enumerate(self.processes):
                if process.poll() is None or self._stopping.is_set() or process in self._given_up:
                    continue
                if process.returncode == CONFIGURATION_ERROR:
                    logger.error(
                        "Pool: worker process %s exited with %s, a configuration error (see its "
                        "message above); not restarting it",
                        process.pid,
                        process.returncode,
                    )
                    self._given_up.add(process)
                    continue
                logger.warning(
                    "Pool: worker process %s exited with %s; restarting", process.pid, process.returncode
                )
                self.processes[index] = self._spawn()

    def stop(self) -> None:
        """SIGTERM every worker (each finishes its job), then SIGKILL those still alive."""
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=self.grace_seconds)
            except subprocess.TimeoutExpired:
                logger.warning("Pool: worker process %s did not stop; killing it", process.pid)
                process.kill()
                process.wait()
