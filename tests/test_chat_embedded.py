"""The embedded model end to end in a conversation (slow): each follow-up reads only the new
turn's tokens, answers with every cache in play equal the same prompt read from scratch, and a
reopened document answers its first question from the saved script cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat_helpers import Events, write_script
from logline.chat.events import ContextUse, Reading
from logline.chat.session import ChatOptions, ChatSession
from logline.documents import load
from logline.engine import CancelToken, Generated
from logline.engine.requests import GenerationRequest
from logline.engine.runtime import Engine
from logline.models.registry import find_model
from logline.store import Store

pytestmark = pytest.mark.slow
OPTIONS = ChatOptions(answer_tokens=24, facts_answers=False)
END_OF_TURN = 4  # tokens that close an answer in the chat template ("<|im_end|>\n")
QUESTIONS = ("Who follows Edward?", "What jams at the print shop?", "Where is the diner?")


@pytest.fixture()
def embedded(smollm2_model_dir: Path, tmp_path: Path):
    from logline import paths
    from logline.models.folder_import import import_model_folder

    import_model_folder(smollm2_model_dir, paths.models_dir(), model_id="smol", reference=True)
    store = Store.open()
    yield find_model("smol"), load(write_script(tmp_path, repeats=3)), store
    store.close()


def test_follow_ups_read_only_the_new_turn_and_answer_as_from_scratch(embedded) -> None:
    model, document, store = embedded
    engine = Engine()
    session = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    previous = None
    for question in QUESTIONS:
        events = Events()
        result = session.ask(engine, model, question, CancelToken(), events.append)
        use = events.of(ContextUse)[0]
        assert result.stats is not None and result.reason in ("done", "length", "repetition")
        if previous is not None:
            # Everything the last turn read and wrote came from its checkpoint; what is read
            # now is the new question's turn, and the template's end-of-turn mark closing the
            # last answer (the model wrote its end token, which the cache never read).
            assert result.stats.cached_tokens >= previous.prompt_tokens
            assert result.stats.prefilled_tokens <= use.question + END_OF_TURN
        previous = result.stats
    fresh = Engine()
    fresh.load(model.model_id, model.path)
    out: list = []
    request = GenerationRequest(
        prompt_tokens=session.last_prompt_tokens, sampling=OPTIONS.sampling()
    )
    fresh.generate(request, CancelToken(), out.append)
    assert "".join(e.text for e in out if isinstance(e, Generated)) == result.raw_text


def test_reopening_answers_from_the_saved_script_cache(embedded) -> None:
    model, document, store = embedded
    first = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    cold = Events()
    answer = first.ask(Engine(), model, QUESTIONS[0], CancelToken(), cold.append)
    assert any(e.script for e in cold.of(Reading))
    again = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    warm = Events()
    reopened = again.ask(Engine(), model, QUESTIONS[0], CancelToken(), warm.append)
    assert not any(e.script for e in warm.of(Reading))  # the script was not read again
    assert reopened.stats.prefilled_tokens == warm.of(ContextUse)[0].question
    assert reopened.raw_text == answer.raw_text
