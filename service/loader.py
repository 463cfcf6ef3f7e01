"""Importing a user's app (``app.py`` or ``package.module``) for the CLI and the workers.

A user's file may call ``app.launch()`` at module level, or rely on ``@webhook_endpoint``'s start
at exit. When the CLI imports it, neither may start a server: the CLI decides what runs. So the
import happens with :func:`starts_suppressed` true, and the exit-time start stays off afterwards.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from service.errors import AppLoadError

if TYPE_CHECKING:
    from service.server import WebhooksServer

logger = logging.getLogger(__name__)

_suppress_starts = False


def starts_suppressed() -> bool:
    """Whether ``launch()`` and the exit-time start must do nothing (the CLI owns this process)."""
    return _suppress_starts


@dataclass(frozen=True)
class LoadedApp:
    """A user's app: the name jobs carry, and its webhooks server."""

    name: str
    server: WebhooksServer


def load_app(spec: str) -> LoadedApp:
    """Import ``spec`` once and return its server; raise :class:`AppLoadError` with the reason."""
    global _suppress_starts
    _suppress_starts = True
    module = _import(spec)
    return LoadedApp(name=spec, server=_find_server(spec, module))


def _import(spec: str) -> ModuleType:
    if spec.endswith(".py") or "/" in spec:
        path = Path(spec).resolve()
        if not path.is_file():
            raise AppLoadError(f"App file not found: {spec!r} (looked at {str(path)!r}).")
        module_name = path.stem
        if module_name in sys.modules:
            return sys.modules[module_name]
        sys.path.insert(0, str(path.parent))
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise AppLoadError(f"Cannot import {spec!r} as a Python file.")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as error:
        raise AppLoadError(f"Cannot import app module {spec!r}: {error}.") from error


def _find_server(spec: str, module: ModuleType) -> WebhooksServer:
    from service.endpoint import default_server_if_created
    from service.server import WebhooksServer

    found = [value for value in vars(module).values() if isinstance(value, WebhooksServer)]
    default = default_server_if_created()
    if default is not None and default not in found:
        found.append(default)
    with_routes = [server for server in found if server.handlers]
    if len(with_routes) == 1:
        return with_routes[0]
    if not with_routes:
        raise AppLoadError(
            f"App {spec!r} registers no webhook: decorate a function with @webhook_endpoint or "
            "@app.add_webhook, at module level."
        )
    raise AppLoadError(f"App {spec!r} has {len(with_routes)} webhooks servers; keep one.")
