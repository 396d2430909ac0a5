"""Settings: defaults, round trip, tolerance of bad files, env overrides; the token keychain."""

from __future__ import annotations

import json
import logging
import sys
import types

import pytest

from logline import config


def test_defaults_when_no_file() -> None:
    s = config.load_settings()
    assert s == config.Settings()
    assert s.cache_budget_bytes == 40 * 10**9 and not s.offline


def test_round_trip_and_atomic_write() -> None:
    config.update_settings(offline=True, default_model="llama-3.2-3b-instruct")
    path = config.settings_path()
    data = json.loads(path.read_text())
    assert data["version"] == config.SETTINGS_VERSION and data["offline"] is True
    assert config.load_settings().default_model == "llama-3.2-3b-instruct"
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp files left


def test_update_rejects_unknown_and_invalid() -> None:
    with pytest.raises(ValueError, match="Unknown"):
        config.update_settings(colour="red")
    with pytest.raises(ValueError, match="Invalid"):
        config.update_settings(cache_budget_bytes=-5)


def test_unknown_and_invalid_fields_are_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = config.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps({"version": 1, "offline": "yes", "colour": "dark", "hub_endpoint": "http://x"})
    )
    with caplog.at_level(logging.WARNING, logger="logline.config"):
        s = config.load_settings()
    assert s.offline is False and s.hub_endpoint == "http://x"
    assert "colour" in caplog.text and "offline" in caplog.text


def test_settings_window_fields_round_trip() -> None:
    config.update_settings(
        default_mode="coverage",
        theme="dark",
        generation={"synopsis": {"temperature": 0.7, "max_tokens": 900}},
    )
    s = config.load_settings()
    assert (s.default_mode, s.theme) == ("coverage", "dark")
    assert s.generation == {"synopsis": {"temperature": 0.7, "max_tokens": 900}}
    assert config.Settings().theme == "system" and config.Settings().generation == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("theme", "purple"),
        ("default_mode", ""),
        ("generation", {"synopsis": {"temperature": 9.0}}),
        ("generation", {"synopsis": {"max_tokens": 0.5}}),
        ("generation", {"synopsis": {"top_q": 1}}),
        ("generation", ["synopsis"]),
        ("hub_endpoint", "ftp://mirror.example"),
        ("hub_endpoint", "huggingface.co"),
    ],
)
def test_invalid_settings_window_values_are_refused_and_dropped(name: str, value: object) -> None:
    with pytest.raises(ValueError, match="Invalid"):
        config.update_settings(**{name: value})
    path = config.settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, name: value}))
    assert getattr(config.load_settings(), name) == getattr(config.Settings(), name)


def test_endpoint_problem_says_why() -> None:
    assert config.endpoint_problem("") is None
    assert config.endpoint_problem("https://hf-mirror.example:8443/api") is None
    assert "https://" in (config.endpoint_problem("hf-mirror.example") or "")
    assert "spaces" in (config.endpoint_problem("https://a b") or "")
    assert config.endpoint_problem("http://host:99999") is not None


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_corrupt_file_gives_defaults(content: str) -> None:
    path = config.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert config.load_settings() == config.Settings()


def test_migration_hook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "SETTINGS_VERSION", 2)
    monkeypatch.setitem(
        config.MIGRATIONS, 1, lambda d: {**d, "cache_budget_bytes": d.pop("budget_gb") * 10**9}
    )
    s = config.from_dict({"version": 1, "budget_gb": 7})
    assert s.cache_budget_bytes == 7 * 10**9 and s.version == 2


def test_env_overrides_are_applied_not_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLINE_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    eff = config.effective_settings()
    assert eff.offline and eff.hub_endpoint == "http://127.0.0.1:9"
    assert not config.load_settings().offline


class FakeKeyring:
    """A stand-in for the ``keyring`` package with an in-memory backend."""

    def __init__(self, working: bool = True) -> None:
        self.store: dict[tuple[str, str], str] = {}
        self.fail_mod = types.ModuleType("keyring.backends.fail")

        class FailKeyring:
            priority = 0

        self.fail_mod.Keyring = FailKeyring  # type: ignore[attr-defined]
        self.backend = types.SimpleNamespace(priority=1) if working else FailKeyring()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        mod = types.ModuleType("keyring")
        mod.get_keyring = lambda: self.backend  # type: ignore[attr-defined]
        mod.get_password = lambda s, u: self.store.get((s, u))  # type: ignore[attr-defined]
        mod.set_password = lambda s, u, p: self.store.__setitem__((s, u), p)  # type: ignore[attr-defined]
        mod.delete_password = lambda s, u: self.store.pop((s, u))  # type: ignore[attr-defined]
        backends = types.ModuleType("keyring.backends")
        backends.fail = self.fail_mod  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "keyring", mod)
        monkeypatch.setitem(sys.modules, "keyring.backends", backends)
        monkeypatch.setitem(sys.modules, "keyring.backends.fail", self.fail_mod)


def test_token_in_keychain_never_in_settings_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    fake = FakeKeyring()
    fake.install(monkeypatch)
    secret = "hf_SECRETSECRET"
    with caplog.at_level(logging.DEBUG):
        config.set_token(secret)
        config.update_settings(offline=True)
        assert config.get_token() == secret
    assert secret not in config.settings_path().read_text()
    assert secret not in caplog.text
    assert config.delete_token() is True
    assert config.get_token() is None and config.delete_token() is False


def test_no_backend_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    FakeKeyring(working=False).install(monkeypatch)
    assert config.get_token() is None and not config.secure_storage_available()
    with pytest.raises(config.SecureStorageUnavailableError, match="set HF_TOKEN"):
        config.set_token("hf_x")


def test_missing_keyring_package_and_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # import fails
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert config.get_token() is None
    monkeypatch.setenv("HF_TOKEN", "hf_session")
    assert config.get_token() == "hf_session"


def test_cli_token_set_status_delete(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from logline.cli import main

    monkeypatch.delenv("HF_TOKEN", raising=False)
    fake = FakeKeyring()
    fake.install(monkeypatch)
    secret = "hf_FROMSTDIN"
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    assert main(["models", "token", "set"]) == 0
    assert list(fake.store.values()) == [secret]
    assert main(["models", "token", "status"]) == 0
    assert main(["models", "token", "delete"]) == 0
    assert main(["models", "token", "status"]) == 0
    out = capsys.readouterr()
    assert secret not in out.out + out.err
    assert "stored in the keychain" in out.out and "No token is stored." in out.out
    FakeKeyring(working=False).install(monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    assert main(["models", "token", "set"]) == 1
    assert "set HF_TOKEN" in capsys.readouterr().err
