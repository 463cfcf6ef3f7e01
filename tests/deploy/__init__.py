"""The container files (Dockerfile, docker-compose.yml, .env.example) against the code they run.

There is no Docker engine in the test environment: what the files declare is checked against the
real CLI and settings, and the compose topology is run as local processes.
"""

from __future__ import annotations

import argparse
import sys

import pytest

from service.cli import _parser


def hubhooks_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` (a container command) as the ``hubhooks`` CLI parses it; the test fails otherwise."""
    assert argv and argv[0] == "hubhooks", f"not a hubhooks command: {argv!r}"
    try:
        return _parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"the hubhooks CLI refuses {argv!r} (its error is in the captured stderr)")


def local_argv(argv: list[str]) -> list[str]:
    """A container's command run here: ``hubhooks`` and ``python`` with this interpreter."""
    if argv[0] == "hubhooks":
        return [sys.executable, "-m", "service.cli", *argv[1:]]
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return list(argv)
