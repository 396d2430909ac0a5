"""``chat.export``: a conversation as Markdown (the shown branch) and as JSON (every branch),
read from a real store with no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logline.chat.events import MessageStats
from logline.chat.export import FACTS_MODEL, branch_count, conversation_json, conversation_markdown
from logline.store import Store

STATS = MessageStats("tiny", 1200, 1100, 0.25, 40, 80.0).to_json()


@pytest.fixture()
def store():
    opened = Store.open()
    yield opened
    opened.close()


def _tree(store: Store):
    """Q1 → A1 (done, with a citation) → Q2 → A2a (length) and A2b (stopped): two branches."""
    document = store.documents.upsert(
        Path("/scripts/river.fountain"), "a" * 64, "The River Press", "fountain"
    )
    chat = store.conversations.create(document.id, "Who follows Edward", "tiny")
    q1 = store.messages.add(chat.id, None, "user", "Who follows Edward?")
    a1 = store.messages.add(
        chat.id,
        q1.id,
        "assistant",
        "The giant follows him (Sc. 2, p. 1).",
        model="tiny",
        finish_reason="done",
        stats=STATS,
    )
    q2 = store.messages.add(chat.id, a1.id, "user", "Where is the diner?")
    a2a = store.messages.add(
        chat.id, q2.id, "assistant", "In town", model="tiny", finish_reason="length", stats=STATS
    )
    a2b = store.messages.add(
        chat.id, q2.id, "assistant", "By the", model="other", finish_reason="stopped", stats=STATS
    )
    return chat, (q1, a1, q2, a2a, a2b)


def test_markdown_shows_the_current_branch_with_stats_endings_and_other_branches(
    store: Store,
) -> None:
    chat, (_q1, _a1, _q2, a2a, a2b) = _tree(store)
    text = conversation_markdown(store, chat.id)
    assert text.startswith("# Who follows Edward\n")
    assert "The River Press (`river.fountain`)" in text
    assert "- Models: other, tiny" in text
    assert text.count("## Question") == 2 and text.count("### Answer") == 2
    assert "(Sc. 2, p. 1)" in text  # citations kept as written
    assert "By the" in text and "In town" not in text  # the shown branch is the newest
    assert "*Stopped before the end.*" in text
    assert text.count("1,200 prompt tokens (1,100 cached)") == 2
    assert "1 other branch is not shown" in text
    older = conversation_markdown(store, chat.id, leaf_id=a2a.id)
    assert "In town" in older and "By the" not in older
    assert "*Cut off at the length limit.*" in older
    assert "- Model: tiny" in older
    with pytest.raises(KeyError):
        conversation_markdown(store, chat.id, leaf_id=a2b.id + 100)


def test_markdown_of_a_facts_answer_and_of_an_empty_conversation(store: Store) -> None:
    document = store.documents.upsert(Path("/s/a.fountain"), "b" * 64, "A", "fountain")
    empty = store.conversations.create(document.id, "New conversation", "")
    assert "*No messages yet.*" in conversation_markdown(store, empty.id)
    assert branch_count(store, empty.id) == 0
    question = store.messages.add(empty.id, None, "user", "How many scenes?")
    store.messages.add(
        empty.id,
        question.id,
        "assistant",
        "**4 scenes**",
        model=FACTS_MODEL,
        finish_reason="done",
        stats={"model": FACTS_MODEL},
    )
    text = conversation_markdown(store, empty.id)
    assert "Answered from the script facts" in text and "Model" not in text
    assert "other branch" not in text and "Stopped" not in text


def test_json_holds_every_branch_and_the_shown_one(store: Store) -> None:
    chat, messages = _tree(store)
    data = json.loads(json.dumps(conversation_json(store, chat.id)))
    assert [m["id"] for m in data["messages"]] == [m.id for m in messages]
    assert data["shown_branch"] == [m.id for m in messages if m.id != messages[3].id]
    assert data["branches"] == 2 and data["current_leaf_id"] == messages[-1].id
    assert data["document"]["title"] == "The River Press"
    answer = data["messages"][1]
    assert answer["parent_id"] == messages[0].id and answer["stats"]["cached_tokens"] == 1100
    with pytest.raises(KeyError):
        conversation_json(store, chat.id + 1)


def test_the_facts_model_name_is_the_sessions() -> None:
    from logline.chat.session import FACTS_MODEL as SESSION_FACTS_MODEL

    assert FACTS_MODEL == SESSION_FACTS_MODEL
