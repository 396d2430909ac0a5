"""Inference servers as models (issue 18, item 3): entries, tokens, the offline policy, the CLI.

The probe runs over real HTTP against ``server_stub.StubServer`` on 127.0.0.1. Until the remote
engine (``logline.engine.remote``, another branch) is in this checkout, a stand-in with its
agreed interface answers for it; once it is, these tests run the real probe.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from logline import config
from logline.cli import main
from logline.models import servers
from logline.models.server_policy import (
    OfflineRefusedError,
    check_allowed,
    is_local_network,
    text_leaves_machine,
)
from server_stub import StubServer, real_probe_exists, standin_module
from test_config import FakeKeyring

TESTS = Path(__file__).resolve().parent
ONLINE = config.Settings(offline=False)
OFFLINE = config.Settings(offline=True)


@pytest.fixture
def probe_available(monkeypatch: pytest.MonkeyPatch) -> None:
    if not real_probe_exists():
        monkeypatch.setitem(sys.modules, "logline.engine.remote", standin_module())


@pytest.fixture(autouse=True)
def no_session_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOGLINE_SERVER_TOKEN_") or name in (
            "LOGLINE_OFFLINE",
            "HF_HUB_OFFLINE",
        ):
            monkeypatch.delenv(name)


# --- entries -------------------------------------------------------------------------------


def test_entries_round_trip_in_a_private_file() -> None:
    added = servers.add_server(
        "render-01",
        "http://10.0.0.5:8080/v1/",
        model="llama-3.3-70b",
        capabilities={"models": ["llama-3.3-70b"], "context_length": 131072},
        concurrency=8,
    )
    servers.add_server("mac.studio", "https://studio.local:8443", context_length=32768)
    assert added.base_url == "http://10.0.0.5:8080/v1"  # the trailing slash dropped
    assert [e.name for e in servers.list_servers()] == ["render-01", "mac.studio"]
    again = servers.get_server("RENDER-01")
    assert again == added and again.effective_context_length() == 131072
    assert again.label() == "llama-3.3-70b on render-01"
    assert servers.get_server("mac.studio").effective_context_length() == 32768
    mode = stat.S_IMODE(servers.servers_path().stat().st_mode)
    assert mode == 0o600
    assert servers.remove_server("render-01").name == "render-01"
    assert [e.name for e in servers.list_servers()] == ["mac.studio"]
    with pytest.raises(servers.ServerEntryError, match="no server called"):
        servers.get_server("render-01")


def test_the_user_context_length_wins_over_the_probe() -> None:
    entry = servers.add_server(
        "a", "http://127.0.0.1:1", capabilities={"context_length": 4096}, context_length=8192
    )
    assert entry.effective_context_length() == 8192
    assert servers.add_server("b", "http://127.0.0.1:1").effective_context_length() is None


@pytest.mark.parametrize(
    ("name", "url", "message"),
    [
        ("bad name", "http://h", "may only hold"),
        ("-x", "http://h", "may only hold"),
        ("x" * 65, "http://h", "at most 64"),
        ("ok", "ftp://h", "http:// or https://"),
        ("ok", "http://", "name a host"),
        ("ok", "http://user:pw@h/v1", "user name or password"),
        ("ok", "http://h:99999", "not a valid web address"),
        ("ok", "http://h /v1", "spaces"),
        ("ok", "http://h/v1?key=1", "query"),
    ],
)
def test_bad_names_and_addresses_are_refused(name: str, url: str, message: str) -> None:
    with pytest.raises(servers.ServerEntryError, match=message):
        servers.add_server(name, url)
    assert servers.list_servers() == []


def test_bad_numbers_and_duplicates_are_refused() -> None:
    with pytest.raises(servers.ServerEntryError, match="concurrency"):
        servers.add_server("a", "http://h", concurrency=0)
    with pytest.raises(servers.ServerEntryError, match="context length"):
        servers.add_server("a", "http://h", context_length=10)
    servers.add_server("a", "http://h")
    with pytest.raises(servers.ServerEntryError, match="exists already"):
        servers.add_server("A", "http://other")
    assert servers.add_server("A", "http://other", replace=True).base_url == "http://other"
    assert [e.name for e in servers.list_servers()] == ["A"]


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[]",
        '{"servers": {}}',
        '{"servers": [42]}',
        '{"servers": [{"name": "x"}]}',
        '{"servers": [{"name": "x", "base_url": "gopher://h"}]}',
        '{"servers": [{"name": "x", "base_url": "http://h", "concurrency": "4"}]}',
        '{"servers": [{"name": "x", "base_url": "http://h"}, {"name": "X", "base_url": "http://h"}]}',
        "[" * 100_000,
    ],
)
def test_a_broken_file_is_one_sentence(content: str) -> None:
    path = servers.servers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(servers.ServerEntryError) as caught:
        servers.list_servers()
    message = str(caught.value)
    assert "cannot be read" in message and "\n" not in message
    with pytest.raises(servers.ServerEntryError):  # and nothing overwrites it meanwhile
        servers.add_server("y", "http://h")
    assert path.read_text(encoding="utf-8") == content


def test_cli_shows_a_broken_file_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    servers.servers_path().parent.mkdir(parents=True, exist_ok=True)
    servers.servers_path().write_text("{not json", encoding="utf-8")
    assert main(["servers", "list"]) == 1
    err = capsys.readouterr().err
    assert "cannot be read" in err and "Traceback" not in err


# --- tokens --------------------------------------------------------------------------------


def test_token_through_the_environment_without_a_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # no keyring package
    assert servers.token_env_var("render-01.lan") == "LOGLINE_SERVER_TOKEN_RENDER_01_LAN"
    assert servers.get_server_token("render-01.lan") is None
    with pytest.raises(config.SecureStorageUnavailableError, match="LOGLINE_SERVER_TOKEN_RENDER"):
        servers.set_server_token("render-01.lan", "sk-secret")
    monkeypatch.setenv("LOGLINE_SERVER_TOKEN_RENDER_01_LAN", "sk-session")
    assert servers.get_server_token("render-01.lan") == "sk-session"


def test_token_in_the_keychain_never_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKeyring()
    fake.install(monkeypatch)
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-SECRET\n"))
    assert (
        main(["servers", "add", "gpu", "http://10.1.1.1:8000/v1", "--no-probe", "--token-stdin"])
        == 0
    )
    assert servers.get_server_token("gpu") == "sk-SECRET"
    assert fake.store == {(config.KEYRING_SERVICE, "server:gpu"): "sk-SECRET"}
    assert "sk-SECRET" not in servers.servers_path().read_text(encoding="utf-8")
    assert main(["servers", "rm", "gpu"]) == 0
    assert fake.store == {} and servers.get_server_token("gpu") is None


def test_token_stdin_without_a_keychain_adds_nothing_and_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-x\n"))
    assert main(["servers", "add", "gpu", "http://10.1.1.1/v1", "--no-probe", "--token-stdin"]) == 1
    assert "LOGLINE_SERVER_TOKEN_GPU" in capsys.readouterr().err
    assert servers.list_servers() == []


# --- the offline policy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("[::1]", True),
        ("10.0.0.5", True),
        ("192.168.1.20", True),
        ("172.16.3.4", True),
        ("[fd00::1]", True),
        ("[::ffff:192.168.1.2]", True),
        ("8.8.8.8", False),
        ("[2001:4860:4860::8888]", False),
        ("render-01", False),  # a name is never looked up: public unless allowed
        ("api.example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_offline_mode_decides_from_the_address_alone(host: str, local: bool) -> None:
    entry = servers.ServerEntry(name="s", base_url=f"http://{host}:8080/v1")
    assert is_local_network(entry.host) is local
    check_allowed(entry, ONLINE)  # online: everything is allowed
    if local:
        check_allowed(entry, OFFLINE)
    else:
        with pytest.raises(OfflineRefusedError, match="Offline mode is on") as caught:
            check_allowed(entry, OFFLINE)
        assert "--allow-offline" in str(caught.value)
        trusted = servers.ServerEntry(
            name="s", base_url=f"http://{host}:8080/v1", allowed_offline=True
        )
        check_allowed(trusted, OFFLINE)


def test_whether_text_leaves_the_machine() -> None:
    assert not text_leaves_machine(servers.ServerEntry(name="a", base_url="http://localhost:1"))
    assert not text_leaves_machine(servers.ServerEntry(name="a", base_url="http://127.0.0.2:1"))
    assert text_leaves_machine(servers.ServerEntry(name="a", base_url="http://10.0.0.1:1"))


# Every socket connect and name lookup of the subprocess, recorded on stderr (not refused:
# the loopback case must be able to connect, and show that it reached nothing else).
RECORDING_MAIN = (
    "import sys\n"
    "def _record(event, args):\n"
    "    if event in ('socket.connect', 'socket.getaddrinfo', 'socket.gethostbyname'):\n"
    "        target = args[1] if event == 'socket.connect' else args[0]\n"
    "        sys.stderr.write('NETWORK ATTEMPT: %s %r\\n' % (event, target))\n"
    "sys.addaudithook(_record)\n"
    f"sys.path.insert(0, {str(TESTS)!r})\n"
    "from server_stub import install_standin_probe\n"
    "install_standin_probe()\n"
    "from logline.__main__ import main\n"
    "sys.exit(main())\n"
)


def _run_offline(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGLINE_", "HF_"))}
    env.update(LOGLINE_HOME=str(home), LOGLINE_OFFLINE="1", PYTHONUNBUFFERED="1")
    return subprocess.run(
        [sys.executable, "-c", RECORDING_MAIN, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _attempts(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("NETWORK ATTEMPT")]


def test_offline_refuses_a_public_server_with_zero_connection_attempts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for name, url in (("public", "http://93.184.216.34:8080/v1"), ("named", "https://gpu.example")):
        added = _run_offline(home, "servers", "add", name, url, "--no-probe", "--context", "8192")
        assert added.returncode == 0, added.stderr
        for command in (("servers", "test", name), ("servers", "add", name + "2", url)):
            result = _run_offline(home, *command)
            assert result.returncode == 1, result.stderr
            assert "Offline mode is on" in result.stderr and "Traceback" not in result.stderr
            assert _attempts(result.stderr) == []


def test_offline_allows_a_loopback_server_and_reaches_nothing_else(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with StubServer(context_length=4096) as stub:
        result = _run_offline(home, "servers", "add", "local", stub.base_url)
        assert result.returncode == 0, result.stderr
        tested = _run_offline(home, "servers", "test", "local")
    assert tested.returncode == 0, tested.stderr
    assert "GET /v1/models" in stub.requests
    for output in (result, tested):
        attempts = _attempts(output.stderr)
        assert attempts, "the probe never connected"
        assert all("127.0.0.1" in line for line in attempts), attempts


# --- the CLI -------------------------------------------------------------------------------


def test_cli_add_list_rm_without_probing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servers", "list"]) == 0
    assert "No servers" in capsys.readouterr().out
    assert (
        main(
            [
                "servers",
                "add",
                "render-01",
                "http://10.0.0.5:8080/v1",
                "--no-probe",
                "--model",
                "llama-3.3-70b",
                "--context",
                "32768",
                "--concurrency",
                "3",
            ]
        )
        == 0
    )
    assert main(["servers", "add", "here", "http://127.0.0.1:8080/v1", "--no-probe"]) == 0
    out = capsys.readouterr().out
    assert "context 32768 tokens; not probed" in out and "context unknown" in out
    assert main(["servers", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "llama-3.3-70b" in lines[0] and "32768" in lines[0]
    assert "text leaves this machine" in lines[0]
    assert "this machine only" in lines[1] and "context unknown" in lines[1]
    assert main(["servers", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["concurrency"] == 3 and rows[1]["text_leaves_this_machine"] is False
    assert main(["servers", "rm", "render-01"]) == 0
    assert main(["servers", "rm", "render-01"]) == 1
    assert "no server called" in capsys.readouterr().err
    assert [e.name for e in servers.list_servers()] == ["here"]


def test_cli_refuses_bad_input_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servers", "add", "a b", "http://h", "--no-probe"]) == 1
    assert main(["servers", "add", "a", "http://u:p@h", "--no-probe"]) == 1
    assert main(["servers", "add", "a", "http://h", "--no-probe", "--context", "12"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 3 and "Traceback" not in err
    assert servers.list_servers() == []


@pytest.mark.usefixtures("probe_available")
def test_cli_add_probes_and_stores_what_it_found(capsys: pytest.CaptureFixture[str]) -> None:
    with StubServer(context_length=4096, model="tiny-model") as stub:
        assert main(["servers", "add", "local", stub.base_url]) == 0
        assert "context 4096 tokens" in capsys.readouterr().out
        assert main(["servers", "test", "local"]) == 0
    out = capsys.readouterr().out
    assert "tiny-model" in out and "4096" in out
    entry = servers.get_server("local")
    assert entry.capabilities is not None and entry.capabilities["context_length"] == 4096
    assert "tiny-model" in entry.capabilities["models"]


@pytest.mark.usefixtures("probe_available")
def test_cli_asks_for_the_context_when_the_server_does_not_say(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with StubServer(context_length=None) as stub:
        assert main(["servers", "add", "llama", stub.base_url]) == 1
        assert "--context N" in capsys.readouterr().err
        assert servers.list_servers() == []  # never a silent guess
        assert main(["servers", "add", "llama", stub.base_url, "--context", "8192"]) == 0
        assert main(["servers", "test", "llama"]) == 0
    assert servers.get_server("llama").effective_context_length() == 8192
    out = capsys.readouterr().out
    assert "context_length: not reported" in out and "context of 8192" in out


@pytest.mark.usefixtures("probe_available")
def test_cli_unreachable_server_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["servers", "add", "gone", f"http://127.0.0.1:{port}/v1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert servers.list_servers() == []


def test_no_probe_works_without_the_remote_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "logline.engine.remote", None)  # import fails
    assert (
        main(["servers", "add", "x", "http://127.0.0.1:9/v1", "--no-probe", "--context", "4096"])
        == 0
    )
    assert main(["servers", "test", "x"]) == 1
    assert "--no-probe" in capsys.readouterr().err


@pytest.mark.usefixtures("probe_available")
def test_the_probe_sends_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeKeyring().install(monkeypatch)
    with StubServer(context_length=2048) as stub:
        monkeypatch.setattr(sys, "stdin", io.StringIO("sk-probe\n"))
        assert main(["servers", "add", "k", stub.base_url, "--token-stdin"]) == 0
        assert main(["servers", "add", "k", stub.base_url, "--replace", "--concurrency", "2"]) == 0
        assert main(["servers", "test", "k"]) == 0
    assert stub.tokens and set(stub.tokens) == {"Bearer sk-probe"}
    assert servers.get_server("k").concurrency == 2


def test_list_says_which_servers_offline_mode_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    servers.add_server("lan", "http://192.168.1.2:8080/v1")
    servers.add_server("cloud", "https://gpu.example/v1")
    servers.add_server("trusted", "https://gpu.example/v1", allowed_offline=True)
    monkeypatch.setenv("LOGLINE_OFFLINE", "1")
    assert main(["servers", "list", "--json"]) == 0
    refused = {r["name"]: r["refused_while_offline"] for r in json.loads(capsys.readouterr().out)}
    assert refused == {"lan": False, "cloud": True, "trusted": False}
    assert main(["servers", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "refused: offline mode is on" in lines[1] and "refused" not in lines[2]
