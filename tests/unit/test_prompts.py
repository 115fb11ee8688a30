"""input() prompts on the output page (bridge/sidecar/prompts.py and the hub): every page
sees an open prompt, late pages too; only an open prompt can be answered, once; closing it
tells every page."""

from __future__ import annotations

import json

from bridge.sidecar.hub import SidecarHub
from bridge.sidecar.prompts import MAX_ANSWER_CHARS, Prompts


def events(subscriber) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(text) for text in subscriber.take_batch()]


def test_an_open_prompt_reaches_open_pages_and_pages_opened_later() -> None:
    hub = SidecarHub("k")
    early = hub.subscribe()
    events(early)
    prompt_id = hub.ask("who? ", False, "parent-1", lambda value: None)
    (asked,) = events(early)
    assert asked == {"type": "input", "id": prompt_id, "prompt": "who? ", "password": False, "parentId": "parent-1"}
    late = hub.subscribe()
    assert [e["type"] for e in events(late)] == ["hello", "input"]


def test_an_answer_reaches_the_prompt_and_closing_tells_every_page() -> None:
    hub = SidecarHub("k")
    page = hub.subscribe()
    answers: list[str] = []
    prompt_id = hub.ask("pw: ", True, None, answers.append)
    assert hub.prompts.answer(prompt_id, "secret")
    assert answers == ["secret"]
    hub.close_prompt(prompt_id, answered=True)
    assert events(page)[-1] == {"type": "inputDone", "id": prompt_id, "answered": True}
    assert not hub.prompts.answer(prompt_id, "again")  # closed: nothing to answer
    assert [e["type"] for e in events(hub.subscribe())] == ["hello"]  # gone for new pages


def test_prompts_are_not_history() -> None:
    hub = SidecarHub("k")
    hub.ask("who? ", False, None, lambda value: None)
    assert len(hub.history) == 0


def test_only_an_open_prompt_with_a_string_answer_is_answered() -> None:
    prompts = Prompts()
    got: list[str] = []
    event = prompts.open("q", False, None, got.append)
    assert not prompts.answer("not-an-id", "x")
    assert not prompts.answer(event["id"], 42)
    assert not prompts.answer(None, "x")
    assert prompts.answer(event["id"], "y" * (MAX_ANSWER_CHARS + 5))
    assert got == ["y" * MAX_ANSWER_CHARS]


def test_closing_an_unknown_prompt_says_nothing() -> None:
    assert Prompts().close("nope", answered=False) is None
