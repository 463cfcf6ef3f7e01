"""Driving load with wrk and reading its figures."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from bench.processes import ROOT, SECRET

BODY = ROOT / "bench" / "payload.json"  # the Hub's repo.content example, compact: 600 bytes
SCRIPT = ROOT / "bench" / "post.lua"


_runs = 0  # numbers each wrk run, so that no two runs send the same bodies (dedup would answer 200)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    non_2xx: int
    errors: int
    per_second: float
    p50_ms: float
    p99_ms: float

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: int, seconds: int, threads: int = 2) -> LoadResult:
    """Run wrk against ``url`` and parse its summary (--latency gives the percentiles)."""
    global _runs
    _runs += 1
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--latency", "-s", str(SCRIPT), url, "--", str(BODY), SECRET, str(_runs)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(
        requests=requests,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)$", output, re.M).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)$", output, re.M).group(1)),  # type: ignore[union-attr]
    )
