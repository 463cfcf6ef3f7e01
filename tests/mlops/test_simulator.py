"""The event simulator: payloads shaped like the Hub's, and ``hubhooks send`` against a real server."""

from __future__ import annotations

import subprocess
import sys

import pytest

from service import WebhookPayload
from service.simulator import SimulatedEvent, encode
from tests.conftest import ROOT, SECRET, free_port, hubhooks, load_payload, ran_events, wait_until

APP = "tests/apps/mlops_app.py"


def keys(node: dict) -> set[str]:
    return set(node)


@pytest.mark.parametrize("scope", ["repo", "repo.content", "repo.config", "discussion", "discussion.comment"])
@pytest.mark.parametrize("action", [None, "create", "update", "delete", "move"])
@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_every_simulated_event_is_a_valid_payload_that_round_trips(scope, action, repo_type):
    payload = SimulatedEvent(scope, "acme/thing", repo_type, action).payload()

    parsed = WebhookPayload.model_validate_json(encode(payload))

    assert parsed.event.scope == scope and parsed.repo.type == repo_type
    assert parsed.model_dump(mode="json", by_alias=True, exclude_none=True) == _without_nulls(payload)


def _without_nulls(node: object) -> object:
    if isinstance(node, dict):
        return {key: _without_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_without_nulls(item) for item in node]
    return node


def test_a_content_update_has_the_hubs_shape_with_updated_refs_ending_at_head_sha():
    real = load_payload("repo-content-updated-refs.json")

    simulated = SimulatedEvent("repo.content", "Wauplin/gradio-user-history", "space").payload()

    assert keys(simulated) == keys(real)
    assert keys(simulated["repo"]) == keys(real["repo"])
    assert keys(simulated["repo"]["url"]) == keys(real["repo"]["url"])
    assert simulated["repo"]["url"] == real["repo"]["url"]
    assert simulated["repo"]["subdomain"] == real["repo"]["subdomain"]
    assert simulated["event"] == real["event"]
    [ref] = simulated["updatedRefs"]
    assert keys(ref) == keys(real["updatedRefs"][0])
    assert ref["newSha"] == simulated["repo"]["headSha"] and len(ref["newSha"]) == 40
    assert len(simulated["repo"]["id"]) == len(simulated["webhook"]["id"]) == 24


def test_a_new_discussion_has_the_hubs_shape_with_its_opening_comment():
    real = load_payload("discussion-create.json")

    simulated = SimulatedEvent("discussion", "gpt2").payload()

    assert keys(simulated) == keys(real) | {"repo"}
    assert simulated["event"] == real["event"]
    assert keys(simulated["discussion"]) == keys(real["discussion"])
    assert keys(simulated["comment"]) == keys(real["comment"])
    assert simulated["repo"]["url"] == real["repo"]["url"]
    assert simulated["discussion"]["url"]["web"].startswith("https://huggingface.co/gpt2/discussions/")


def test_a_discussion_update_has_no_comment_like_the_hubs():
    real = load_payload("discussion-update-no-comment.json")

    simulated = SimulatedEvent("discussion", "Wauplin/leaderboard", "space", "update").payload()

    assert keys(simulated) == keys(real)
    assert keys(simulated["discussion"]) == keys(real["discussion"])


def test_a_narrower_scope_takes_the_shape_of_the_known_scope_above_it():
    payload = SimulatedEvent("repo.content.lfs", "acme/model").payload()

    assert payload["event"]["scope"] == "repo.content.lfs"
    assert "updatedRefs" in payload


def test_each_simulated_event_is_new_so_it_is_not_taken_for_a_duplicate():
    event = SimulatedEvent("repo.content", "acme/model")

    assert encode(event.payload()) != encode(event.payload())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scope": "repo-content"}, "scope must be one of .* got 'repo-content'"),
        ({"repo_type": "models"}, "repo type must be one of model, dataset, space; got 'models'"),
        ({"action": "updated"}, "got 'updated'"),
        ({"repo": "acme/ model"}, "got 'acme/ model'"),
        ({"repo": "a/b/c"}, "got 'a/b/c'"),
    ],
)
def test_bad_options_are_refused_quoting_the_value(options, message):
    with pytest.raises(ValueError, match=message):
        SimulatedEvent(**options)


def run_send(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", **(env or {})}
    return subprocess.run(
        hubhooks("send", *args), cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_send_print_writes_the_payload_and_sends_nothing():
    done = run_send("--print", "--scope", "discussion.comment", "--repo", "acme/data", "--type", "dataset")

    assert done.returncode == 0, done.stderr
    payload = WebhookPayload.model_validate_json(done.stdout)
    assert payload.event.scope == "discussion.comment" and payload.comment is not None
    assert payload.repo.url.web == "https://huggingface.co/datasets/acme/data"


def test_send_runs_the_handler_on_a_real_server_and_worker(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)

    done = run_send(
        f"{server.url}/webhooks/datasets",
        *("--scope", "repo.content", "--repo", "acme/corpus", "--type", "dataset", "--secret", SECRET),
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("HTTP 202 ") and '"status":"accepted"' in done.stdout
    [ran] = wait_until(lambda: ran_events(redis_url))
    assert (ran["handler"], ran["repo"], ran["type"], ran["scope"]) == (
        "datasets",
        "acme/corpus",
        "dataset",
        "repo.content",
    )
    assert ran["head_sha"] and len(ran["head_sha"]) == 40


def test_send_takes_the_secret_from_webhook_secret_and_reports_refusals(redis_url, front_end):
    server = front_end(redis_url, app=APP)
    url = f"{server.url}/webhooks/everything"

    from_env = run_send(url, env={"WEBHOOK_SECRET": SECRET})
    wrong = run_send(url, "--secret", "wrong")
    ignored = run_send(f"{server.url}/webhooks/datasets", "--type", "model", "--secret", SECRET)

    assert from_env.returncode == 0 and from_env.stdout.startswith("HTTP 202"), from_env.stdout
    assert wrong.returncode == 1 and wrong.stdout.startswith("HTTP 403"), wrong.stdout
    assert ignored.returncode == 0 and '"status":"ignored"' in ignored.stdout


def test_send_without_a_server_or_with_bad_options_exits_2_saying_why():
    nobody = run_send(f"http://127.0.0.1:{free_port()}/webhooks/x")
    bad_type = run_send("http://127.0.0.1:1/webhooks/x", "--type", "models")
    no_url = run_send()

    assert nobody.returncode == 2 and "no answer from" in nobody.stderr
    assert bad_type.returncode == 2 and "got 'models'" in bad_type.stderr
    assert no_url.returncode == 2 and "give the webhook URL" in no_url.stderr


def test_send_is_a_subcommand_of_the_console_script():
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "send", "--help"], cwd=ROOT, capture_output=True, text=True
    )

    assert done.returncode == 0 and "--scope" in done.stdout and "--secret" in done.stdout
