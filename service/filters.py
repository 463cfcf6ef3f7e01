"""Filters before the queue: which events an endpoint takes at all.

``@app.add_webhook("train", scope="repo.content", repo_type="dataset", repo="acme/*")`` makes the
front end answer any other event ``200 {"status": "ignored", "reason": ...}`` without writing it to
Redis, so no worker wakes up for an event its handler would drop. Each keyword takes a value or a
list of values (any of them matches); all given keywords must match:

- ``scope``: the event's scope is the value or a narrower scope below it (the Hub's forward
  compatibility rule: ``repo.config.dois`` is in ``repo.config``, and in ``repo``);
- ``action``: ``create``, ``delete``, ``move`` or ``update``;
- ``repo_type``: ``model``, ``dataset`` or ``space``;
- ``repo``: a glob on ``repo.name`` (``acme/*``, ``*/llama-*``; ``*`` also matches ``/``).

Values are checked at registration: a typo would otherwise ignore every event, silently.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from service.payload import KNOWN_ACTIONS, KNOWN_REPO_TYPES, KNOWN_SCOPES

FILTER_KEYWORDS = ("scope", "action", "repo_type", "repo")


def _values(name: str, given: Any) -> tuple[str, ...]:
    """One value or a list of values, as a tuple of non-empty strings without spaces."""
    values = (given,) if isinstance(given, str) else given
    if not isinstance(values, Iterable) or isinstance(values, (bytes, dict)):
        raise ValueError(f"{name}= takes a string or a list of strings; got {given!r}.")
    values = tuple(values)
    if not values:
        raise ValueError(f"{name}= needs at least one value; got {given!r}.")
    for value in values:
        if not isinstance(value, str) or not value or any(c.isspace() for c in value):
            raise ValueError(f"{name}= takes strings without spaces; got {value!r}.")
    return values


def _check_known(name: str, values: tuple[str, ...], known: tuple[str, ...]) -> None:
    for value in values:
        if value not in known:
            raise ValueError(f"{name}= must be one of {', '.join(known)}; got {value!r}.")


def _check_scopes(values: tuple[str, ...]) -> None:
    for value in values:
        if not any(value == scope or value.startswith(scope + ".") for scope in KNOWN_SCOPES):
            raise ValueError(
                f"scope= must be one of {', '.join(KNOWN_SCOPES)}, or a narrower scope below one of "
                f"them (repo.config.dois); got {value!r}."
            )


@dataclass(frozen=True)
class EventFilter:
    """The events one endpoint takes; an empty tuple means "any"."""

    scopes: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    repo_types: tuple[str, ...] = ()
    repos: tuple[str, ...] = ()
    _repo_pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_keywords(
        cls, scope: Any = None, action: Any = None, repo_type: Any = None, repo: Any = None
    ) -> EventFilter | None:
        """The filter the keywords describe, ``None`` when none is given; raise
        :class:`ValueError` quoting a bad value."""
        scopes = _values("scope", scope) if scope is not None else ()
        actions = _values("action", action) if action is not None else ()
        repo_types = _values("repo_type", repo_type) if repo_type is not None else ()
        repos = _values("repo", repo) if repo is not None else ()
        _check_scopes(scopes)
        _check_known("action", actions, KNOWN_ACTIONS)
        _check_known("repo_type", repo_types, KNOWN_REPO_TYPES)
        if not (scopes or actions or repo_types or repos):
            return None
        return cls(scopes, actions, repo_types, repos)

    def __post_init__(self) -> None:
        # One compiled pattern for every glob: a match is one regex call per event.
        pattern = "|".join(f"(?:{fnmatch.translate(glob)})" for glob in self.repos)
        object.__setattr__(self, "_repo_pattern", re.compile(pattern) if pattern else None)

    def check_model(self, model: type[BaseModel], handler_name: str) -> None:
        """Refuse a payload model that does not carry what the filter reads."""
        needs = {"event"} if self.scopes or self.actions else set()
        if self.repo_types or self.repos:
            needs.add("repo")
        missing = sorted(needs - set(model.model_fields))
        if missing:
            raise ValueError(
                f"Handler {handler_name!r}: its payload model {model.__name__} has no "
                f"{' or '.join(missing)} field, which the filter reads; subclass WebhookPayload."
            )

    def reason_to_ignore(self, payload: BaseModel) -> str | None:
        """Why ``payload`` is not for this endpoint, or ``None`` when it is."""
        event = getattr(payload, "event", None)
        repo = getattr(payload, "repo", None)
        if self.scopes:
            scope = _field(event, "scope")
            if not any(scope == s or scope.startswith(s + ".") for s in self.scopes):
                return f"scope {scope!r} is not in {_listed(self.scopes)}"
        if self.actions:
            action = _field(event, "action")
            if action not in self.actions:
                return f"action {action!r} is not {_listed(self.actions)}"
        if self.repo_types:
            repo_type = _field(repo, "type")
            if repo_type not in self.repo_types:
                return f"repo type {repo_type!r} is not {_listed(self.repo_types)}"
        if self._repo_pattern is not None:
            name = _field(repo, "name")
            if not self._repo_pattern.match(name):
                return f"repo {name!r} does not match {_listed(self.repos)}"
        return None

    @property
    def description(self) -> str:
        """The filter in words, for logs and the landing page."""
        parts = [
            f"{label} {_listed(values)}"
            for label, values in (
                ("scope", self.scopes),
                ("action", self.actions),
                ("repo type", self.repo_types),
                ("repo", self.repos),
            )
            if values
        ]
        return ", ".join(parts)


def _field(part: object, name: str) -> str:
    """A string field of a payload part (a model, or a dict in a user's own model); "" if absent."""
    value = part.get(name) if isinstance(part, dict) else getattr(part, name, None)
    return value if isinstance(value, str) else ""


def _listed(values: tuple[str, ...]) -> str:
    return repr(values[0]) if len(values) == 1 else "any of " + ", ".join(repr(v) for v in values)
