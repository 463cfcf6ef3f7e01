"""The event simulator: a payload shaped as the Hub sends it, for testing handlers without the Hub.

``hubhooks send URL --scope repo.content --repo acme/model`` (and the landing page's "Send a test
event" form) build the body here, from a few options, after the Hub's real payloads (version 3):

- every event: ``event``, ``repo`` (24-hex ids, web and API URLs by repo type, the owner's id,
  ``headSha``; ``subdomain`` for a Space) and ``webhook``;
- ``repo.content``: ``updatedRefs`` (the ref moved from an old sha to ``headSha``);
- ``repo.config``: ``updatedConfig`` (the visibility, as an example of a changed setting);
- ``discussion``: the discussion or pull request (number, title, URLs, status, ``changes.base``),
  and on ``create`` its opening comment; ``discussion.comment``: the discussion and a comment;
- ``move``: ``movedTo``.

Each built event is new: ``headSha`` and the discussion's and comment's ids are drawn at random,
so a second send is not answered as a duplicate. A narrower scope (``repo.config.dois``) gets the
shape of the known scope above it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from service.payload import KNOWN_ACTIONS, KNOWN_REPO_TYPES, KNOWN_SCOPES
from service.security import SECRET_HEADER

HUB = "https://huggingface.co"
DEFAULT_ACTIONS = {"repo": "update", "repo.content": "update", "repo.config": "update"}
_REPO_NAME = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def _object_id(*parts: str) -> str:
    """A stable 24-hex id (the Hub's ids are MongoDB ObjectIds) for the same name."""
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:24]


def _sha() -> str:
    return secrets.token_hex(20)


@dataclass(frozen=True)
class SimulatedEvent:
    """What to simulate; :meth:`payload` builds the body. Bad values raise :class:`ValueError`."""

    scope: str = "repo.content"
    repo: str = "user/model"
    repo_type: str = "model"
    action: str | None = None
    private: bool = False

    def __post_init__(self) -> None:
        if self.base_scope is None:
            raise ValueError(
                f"scope must be one of {', '.join(KNOWN_SCOPES)} or a narrower scope below one; "
                f"got {self.scope!r}."
            )
        if self.repo_type not in KNOWN_REPO_TYPES:
            known = ", ".join(KNOWN_REPO_TYPES)
            raise ValueError(f"repo type must be one of {known}; got {self.repo_type!r}.")
        if self.action is not None and self.action not in KNOWN_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(KNOWN_ACTIONS)}; got {self.action!r}.")
        if not _REPO_NAME.match(self.repo):
            raise ValueError(f"repo must be a repo name such as 'user/model'; got {self.repo!r}.")

    @property
    def base_scope(self) -> str | None:
        """The known scope whose shape this event takes (the longest one above ``scope``)."""
        above = [known for known in KNOWN_SCOPES if self.scope == known or self.scope.startswith(known + ".")]
        return max(above, key=len) if above else None

    @property
    def event_action(self) -> str:
        """``action``, else what the scope usually sends: ``update`` for repos, ``create`` else."""
        return self.action or DEFAULT_ACTIONS.get(self.base_scope or "", "create")

    def payload(self) -> dict[str, Any]:
        """The body, as a dict in the Hub's key order."""
        action, base = self.event_action, self.base_scope
        repo = self._repo(action)
        body: dict[str, Any] = {"event": {"action": action, "scope": self.scope}, "repo": repo}
        if base in ("discussion", "discussion.comment"):
            body["discussion"] = self._discussion(repo, action)
            if base == "discussion.comment" or action == "create":
                body["comment"] = self._comment(body["discussion"])
        body["webhook"] = {"id": _object_id("webhook", "hubhooks-simulator"), "version": 3}
        if base == "repo.content":
            old, new = (None if action == "create" else _sha()), repo.get("headSha")
            body["updatedRefs"] = [{"ref": "refs/heads/main", "oldSha": old, "newSha": new}]
        if base == "repo.config":
            body["updatedConfig"] = {"private": self.private}
        if action == "move":
            owner = self.repo.partition("/")[0] if "/" in self.repo else self.repo
            body["movedTo"] = {"name": f"{self.repo}-moved", "owner": {"id": _object_id("user", owner)}}
        return body

    def _repo(self, action: str) -> dict[str, Any]:
        owner = self.repo.partition("/")[0] if "/" in self.repo else self.repo
        path = _URL_PREFIX[self.repo_type] + self.repo
        repo: dict[str, Any] = {
            "type": self.repo_type,
            "name": self.repo,
            "id": _object_id(self.repo_type, self.repo),
            "private": self.private,
            "url": {"web": f"{HUB}/{path}", "api": f"{HUB}/api/{self.repo_type}s/{self.repo}"},
            "owner": {"id": _object_id("user", owner)},
        }
        if self.repo_type == "space":
            repo["subdomain"] = re.sub(r"[^a-z0-9]+", "-", self.repo.lower()).strip("-")
        if action != "delete":
            repo["headSha"] = _sha()
        return repo

    def _discussion(self, repo: dict[str, Any], action: str) -> dict[str, Any]:
        number = secrets.randbelow(900) + 1
        return {
            "id": secrets.token_hex(12),
            "title": "Test event from hubhooks",
            "url": {
                "web": f"{repo['url']['web']}/discussions/{number}",
                "api": f"{repo['url']['api']}/discussions/{number}",
            },
            "status": "open" if action == "create" else "closed",
            "author": {"id": _object_id("user", "hubhooks-simulator")},
            "num": number,
            "isPullRequest": True,
            "changes": {"base": "refs/heads/main"},
        }

    def _comment(self, discussion: dict[str, Any]) -> dict[str, Any]:
        comment_id = secrets.token_hex(12)
        return {
            "id": comment_id,
            "author": {"id": _object_id("user", "hubhooks-simulator")},
            "content": "A test event sent by hubhooks.",
            "hidden": False,
            "url": {"web": f"{discussion['url']['web']}#{comment_id}"},
        }


def post_event(url: str, body: bytes, secret: str | None, timeout: float = 30.0) -> tuple[int, str]:
    """POST ``body`` to ``url`` as the Hub does; the answer's status and text.

    Raise :class:`OSError` when no answer came (refused connection, unknown host, timeout), and
    :class:`ValueError` for a URL that is not ``http(s)://``.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"URL must start with http:// or https://; got {url!r}.")
    headers = {"Content-Type": "application/json", "User-Agent": "hubhooks-send"}
    if secret:
        headers[SECRET_HEADER] = secret
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as error:  # a non-2xx answer is still an answer
        return error.code, error.read().decode(errors="replace")


def encode(payload: dict[str, Any]) -> bytes:
    """The body as sent: compact JSON."""
    return json.dumps(payload, separators=(",", ":")).encode()
