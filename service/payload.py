"""Pydantic models of the Hub's webhook payload (version 3).

Field names are the Hub's camelCase wire names, so ``payload.repo.headSha`` reads as the Hub's
documentation does. Three choices differ from ``huggingface_hub``'s models on purpose:

- Enumerations the Hub may extend (``event.action``, ``event.scope``, ``repo.type``,
  ``discussion.status``) are plain strings, not ``Literal`` types. A newer value must not turn into
  a refused delivery: the Hub counts every non-2xx answer as a failure and may suspend the webhook.
  The values known today are listed in the ``KNOWN_*`` constants.
- Every model keeps the keys it does not declare (``updatedConfig`` and whatever comes next), so
  ``model_dump(by_alias=True)`` gives back what the Hub sent.
- ``repo.headSha`` is read from the wire (upstream declared ``head_sha`` without an alias, so it
  was always ``None``); ``repo.head_sha`` stays as a read-only alias for upstream code.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

KNOWN_ACTIONS = ("create", "delete", "move", "update")
KNOWN_SCOPES = ("repo", "repo.content", "repo.config", "discussion", "discussion.comment")
KNOWN_REPO_TYPES = ("model", "dataset", "space")
KNOWN_DISCUSSION_STATUSES = ("open", "closed", "draft", "merged")


class _HubModel(BaseModel):
    """Base of every payload part: keeps undeclared keys, accepts field names or aliases."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ObjectId(_HubModel):
    """A reference to a Hub object by its id (a repo owner, an author)."""

    id: str


class WebhookPayloadUrl(_HubModel):
    """The web URL of an object, and its API URL where the Hub sends one."""

    web: str
    api: str | None = None


class WebhookPayloadMovedTo(_HubModel):
    """Where a repo went, for ``event.action == "move"``."""

    name: str
    owner: ObjectId


class WebhookPayloadWebhook(_HubModel):
    """The webhook that fired: its id and the payload format version (3 today)."""

    id: str
    version: int


class WebhookPayloadEvent(_HubModel):
    """What happened (``action``) and to what part of the repo (``scope``).

    A scope narrower than one you know (``repo.config.dois``) is an update on the broader scope:
    use :meth:`in_scope` rather than ``==`` to stay forward compatible.
    """

    action: str
    scope: str

    def in_scope(self, scope: str) -> bool:
        """Whether this event's scope is ``scope`` or a narrower scope below it."""
        return self.scope == scope or self.scope.startswith(scope + ".")


class WebhookPayloadDiscussionChanges(_HubModel):
    """The branch a pull request targets, and its merge commit once merged."""

    base: str
    mergeCommitId: str | None = None


class WebhookPayloadComment(_HubModel):
    """A comment on a discussion; ``content`` is absent when the comment is hidden."""

    id: str
    author: ObjectId
    hidden: bool
    url: WebhookPayloadUrl
    content: str | None = None


class WebhookPayloadDiscussion(_HubModel):
    """A discussion or pull request on a repo."""

    id: str
    num: int
    author: ObjectId
    url: WebhookPayloadUrl
    title: str
    isPullRequest: bool
    status: str
    changes: WebhookPayloadDiscussionChanges | None = None
    pinned: bool | None = None


class WebhookPayloadRepo(_HubModel):
    """The repo the event is about."""

    id: str
    owner: ObjectId
    name: str
    private: bool
    type: str
    url: WebhookPayloadUrl
    headSha: str | None = None
    subdomain: str | None = None
    tags: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_upstream_head_sha(cls, data: Any) -> Any:
        """Take upstream's ``head_sha=`` keyword (used by existing tests) as ``headSha``."""
        if isinstance(data, dict) and "head_sha" in data and "headSha" not in data:
            data = {**data, "headSha": data["head_sha"]}
            del data["head_sha"]
        return data

    @property
    def head_sha(self) -> str | None:
        """Upstream's name for :attr:`headSha`, kept so upstream handlers read the real value."""
        return self.headSha


class WebhookPayloadUpdatedRef(_HubModel):
    """A git ref moved by a ``repo.content`` event; a null sha means created or deleted."""

    ref: str
    oldSha: str | None = None
    newSha: str | None = None


class WebhookPayload(_HubModel):
    """The body of a Hub webhook call. Subclass it, or use any pydantic model, to ask for more."""

    event: WebhookPayloadEvent
    repo: WebhookPayloadRepo
    webhook: WebhookPayloadWebhook
    discussion: WebhookPayloadDiscussion | None = None
    comment: WebhookPayloadComment | None = None
    movedTo: WebhookPayloadMovedTo | None = None
    updatedRefs: list[WebhookPayloadUpdatedRef] | None = None
