"""Lanes: an endpoint's events grouped by a key from the payload, coalesced or run one at a time.

- ``coalesce=`` (latest wins): a burst of events with the same key becomes one run, with the
  newest payload, ``quiet_period`` seconds after the last event of the burst (but no later than
  ``max_delay`` seconds after its first, so a steady stream still runs). Superseded events are
  kept as canceled jobs that name the job that replaced them (``superseded_by``).
- ``serial=`` (one at a time): events with the same key run in arrival order, each after the
  previous one has ended (finished, or failed for good), while other keys run in parallel.

A key is ``"repo"`` (the repo's type and name: a model and a dataset may share a name), or a
dotted path into the payload (``"discussion.num"``, ``"updatedRefs.0.ref"``), or a tuple of
these. Both are done in Redis by the accept script (:mod:`service.accept_script`), in the same
round trip as the event's write: a scheduled job for a coalesced event, an RQ dependency on the
previous job of the key for a serial one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

REPO = "repo"
DEFAULT_QUIET_PERIOD = 30.0
DEFAULT_MAX_DELAY = 600.0

Kind = Literal["coalesce", "serial"]


@dataclass(frozen=True)
class Lane:
    """How one endpoint groups its events: by ``key`` (paths into the payload), and how."""

    kind: Kind
    key: tuple[str, ...]
    quiet_period: float = DEFAULT_QUIET_PERIOD
    max_delay: float = DEFAULT_MAX_DELAY

    def __post_init__(self) -> None:
        if not self.key or not all(isinstance(path, str) and path for path in self.key):
            raise ValueError(f"A {self.kind} key is 'repo' or dotted payload paths; got {self.key!r}.")
        if self.kind == "coalesce" and not 0 < self.quiet_period <= self.max_delay:
            raise ValueError(
                "quiet_period must be positive and at most max_delay; "
                f"got {self.quiet_period!r} and {self.max_delay!r}."
            )

    def key_of(self, payload: BaseModel) -> str:
        """The lane of one event: the key's values in the payload, joined by ``|``."""
        return "|".join(_value(payload, path) for path in self.key)


def lane_from_keywords(
    coalesce: bool | str | Sequence[str] | None = None,
    serial: bool | str | Sequence[str] | None = None,
    quiet_period: float | None = None,
    max_delay: float | None = None,
) -> Lane | None:
    """The lane that ``add_webhook``'s keyword arguments ask for, if any."""
    if coalesce and serial:
        raise ValueError(
            "An endpoint takes coalesce= or serial=, not both: a coalesced run is scheduled "
            "by time, which RQ does not chain after the previous run of the key."
        )
    if not coalesce and (quiet_period is not None or max_delay is not None):
        raise ValueError("quiet_period and max_delay apply to coalesce=; set coalesce=True (or a key).")
    if coalesce:
        quiet = DEFAULT_QUIET_PERIOD if quiet_period is None else quiet_period
        cap = max(DEFAULT_MAX_DELAY, quiet) if max_delay is None else max_delay
        return Lane("coalesce", _paths(coalesce), quiet, cap)
    if serial:
        return Lane("serial", _paths(serial))
    return None


def _paths(key: bool | str | Sequence[str]) -> tuple[str, ...]:
    if key is True:
        return (REPO,)
    if isinstance(key, str):
        return (key,)
    if isinstance(key, Sequence):
        return tuple(key)
    raise ValueError(f"A lane key is True, 'repo', a dotted payload path or a tuple of them; got {key!r}.")


def _value(payload: BaseModel, path: str) -> str:
    if path == REPO:
        return f"{_value(payload, 'repo.type')}/{_value(payload, 'repo.name')}"
    node: Any = payload
    for part in path.split("."):
        node = _step(node, part)
        if node is None:
            return ""
    return str(node)


def _step(node: Any, part: str) -> Any:
    if isinstance(node, BaseModel):
        if part in type(node).model_fields:
            return getattr(node, part)
        return (node.model_extra or {}).get(part)
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit():
        index = int(part)
        return node[index] if index < len(node) else None
    return None
