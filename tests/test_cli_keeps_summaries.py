"""A summary written by the CLI is kept in the store, with its notes, for later chats."""

from __future__ import annotations

from pathlib import Path

import offline_cli
from chat_helpers import write_script
from tiny_models import write_tiny_llama_gguf


def test_a_cli_summary_is_kept_in_the_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gguf = write_tiny_llama_gguf(tmp_path / "tiny.gguf", tensor_type="Q8_0")
    assert offline_cli.run(home, "models", "import", str(gguf), "--id", "tiny").returncode == 0
    script = write_script(tmp_path)
    result = offline_cli.run(
        home, "summarize", str(script), "--model", "tiny", "--max-tokens", "8", timeout=300
    )
    assert result.returncode == 0, result.stderr
    from logline.store import Store

    store = Store.open(home / "data" / "logline.sqlite3")
    try:
        (document,) = store.documents.list()
        summary = store.summaries.latest(document.id, model="tiny")
        assert summary is not None and summary.mode == "synopsis" and summary.text
        assert summary.finish_reason in ("done", "length", "repetition")
    finally:
        store.close()


def test_the_cli_uses_the_saved_generation_defaults_and_flags_win(tmp_path: Path) -> None:
    """Settings ▸ Generation is honoured by the CLI too; a flag for one run beats it."""
    import json

    home = tmp_path / "home"
    gguf = write_tiny_llama_gguf(tmp_path / "tiny.gguf", tensor_type="Q8_0")
    assert offline_cli.run(home, "models", "import", str(gguf), "--id", "tiny").returncode == 0
    settings = home / "data" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(settings.read_text()) if settings.exists() else {"version": 1}
    saved["generation"] = {"synopsis": {"max_tokens": 16, "temperature": 0.0}}
    settings.write_text(json.dumps(saved))
    script = write_script(tmp_path)
    from logline.store import Store

    def generated(*flags: str) -> int:
        result = offline_cli.run(
            home, "summarize", str(script), "--model", "tiny", *flags, timeout=300
        )
        assert result.returncode == 0, result.stderr
        store = Store.open(home / "data" / "logline.sqlite3")
        try:
            (document,) = store.documents.list()
            summary = store.summaries.latest(document.id, model="tiny")
            assert summary is not None
            return int(summary.stats["last"]["generation_tokens"])
        finally:
            store.close()

    # The tiny random model writes until it is stopped (the count may leave out the last token).
    assert generated() in (15, 16)
    assert generated("--max-tokens", "8") in (7, 8)
