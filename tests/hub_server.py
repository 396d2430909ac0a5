"""Hub-compatible servers on 127.0.0.1 for the download tests (plain helpers, no fixtures).

``FakeHub`` is a small stdlib server speaking the part of the Hugging Face Hub protocol that
huggingface_hub and Logline use, with switches for misbehaviour (ignore ``Range``, stall, drop the
connection, corrupt a byte, throttle) and a count of body bytes served per file. ``start_olah``
runs the real olah mirror over git repositories built by ``make_olah_repo``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np


def random_safetensors(n_floats: int, seed: int = 0) -> bytes:
    """A valid safetensors file holding one random float32 tensor."""
    from safetensors.numpy import save

    rng = np.random.default_rng(seed)
    return save({"model.weight": rng.standard_normal(n_floats, dtype=np.float32)})


def tiny_model_files(weights_bytes: int = 4 * 1024 * 1024, seed: int = 0) -> dict[str, bytes]:
    """The files an mlx-lm model repo holds, plus some an mlx-lm download must skip."""
    return {
        "config.json": json.dumps({"model_type": "llama", "hidden_size": 8}).encode(),
        "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "BPE"}}).encode(),
        "tokenizer_config.json": b'{"chat_template": "{{ messages }}"}',
        "model.safetensors": random_safetensors(weights_bytes // 4, seed),
        "README.md": b"# tiny\n",
        "modeling_evil.py": b"raise SystemExit('never downloaded')\n",
        "pytorch_model.bin": b"pickle bytes that must never be fetched",
    }


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_lfs(name: str) -> bool:
    return name.endswith((".safetensors", ".bin"))


# ----------------------------------------------------------------------------- the stdlib hub


@dataclass
class FakeRepo:
    commit: str
    files: dict[str, bytes]


@dataclass
class Behaviour:
    """Switches a test flips to make the server misbehave (per GET of a file's body)."""

    honour_range: bool = True
    stall_after: dict[str, int] = field(default_factory=dict)  # file -> bytes, then hang
    disconnect_after: dict[str, int] = field(default_factory=dict)  # file -> bytes, then close
    disconnect_times: int = 1  # how many GETs get disconnected
    corrupt: set[str] = field(default_factory=set)  # flip one byte in the middle
    throttle_bps: int | None = None  # body bytes per second
    stall_head: bool = False  # HEAD/api calls hang too
    drip_after: dict[str, int] = field(default_factory=dict)  # file -> bytes, then a slow drip
    drip_every_s: float = 0.2  # one body byte per this many seconds once dripping


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.behaviour = Behaviour()
        self.served: Counter[str] = Counter()  # body bytes sent, per file
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range
        self.authorizations: set[str | None] = set()
        self.released = threading.Event()
        self.stalling = threading.Event()  # set once a request hangs (stall_after / stall_head)
        self._generation = 0  # bytes of requests from before reset_counters() are not counted
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_repo(self, repo_id: str, files: dict[str, bytes]) -> FakeRepo:
        commit = hashlib.sha1(repo_id.encode() + os.urandom(8), usedforsecurity=False).hexdigest()
        self.repos[repo_id] = FakeRepo(commit, dict(files))
        return self.repos[repo_id]

    def reset_counters(self) -> None:
        with self._lock:
            self.served.clear()
            self.requests.clear()
            self._generation += 1

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    # -- protocol ---------------------------------------------------------------------------

    def _find(self, repo_id: str, rev: str) -> FakeRepo | None:
        repo = self.repos.get(repo_id)
        if repo is None or rev not in ("main", repo.commit):
            return None
        return repo

    def _tree(self, repo: FakeRepo) -> list[dict]:
        out = []
        for name, data in sorted(repo.files.items()):
            entry = {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(data)}
            if is_lfs(name):
                entry["lfs"] = {"oid": sha256(data), "size": len(data), "pointerSize": 130}
            out.append(entry)
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._dispatch(head=True)

            def do_GET(self) -> None:
                self._dispatch(head=False)

            def _error(self, code: int, error_code: str) -> None:
                body = json.dumps({"error": error_code}).encode()
                self.send_response(code)
                self.send_header("X-Error-Code", error_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, payload: object) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _dispatch(self, head: bool) -> None:
                path = unquote(urlsplit(self.path).path)
                with hub._lock:
                    hub.requests.append((self.command, path, self.headers.get("Range")))
                    hub.authorizations.add(self.headers.get("Authorization"))
                if hub.behaviour.stall_head:
                    hub.stalling.set()
                    hub.released.wait()
                    return
                if path.startswith("/api/models/"):
                    self._api(path[len("/api/models/") :])
                    return
                parts = path.lstrip("/").split("/")
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo_id, rev, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                    self._resolve(repo_id, rev, name, head)
                    return
                self._error(404, "EntryNotFound")

            def _api(self, rest: str) -> None:
                org, name, kind, rev = [*rest.split("/"), "", "", ""][:4]
                repo = hub._find(f"{org}/{name}", rev or "main")
                if repo is None:
                    self._error(404, "RepoNotFound")
                elif kind == "revision":
                    siblings = [{"rfilename": n} for n in sorted(repo.files)]
                    self._json({"id": f"{org}/{name}", "sha": repo.commit, "siblings": siblings})
                elif kind == "tree":
                    self._json(hub._tree(repo))
                else:
                    self._error(404, "EntryNotFound")

            def _resolve(self, repo_id: str, rev: str, name: str, head: bool) -> None:
                repo = hub._find(repo_id, rev)
                if repo is None:
                    self._error(404, "RepoNotFound")
                    return
                if name not in repo.files:
                    self._error(404, "EntryNotFound")
                    return
                data = repo.files[name]
                etag = sha256(data) if is_lfs(name) else git_blob_sha1(data)
                if name in hub.behaviour.corrupt and not head:
                    middle = len(data) // 2
                    data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
                start = 0
                range_header = self.headers.get("Range")
                if range_header and hub.behaviour.honour_range and not head:
                    start = int(range_header.split("=")[1].split("-")[0])
                if start >= len(data) and start:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", repo.commit)
                self.send_header("ETag", f'"{etag}"')
                if is_lfs(name):
                    self.send_header("X-Linked-Etag", f'"{etag}"')
                    self.send_header("X-Linked-Size", str(len(data)))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Accept-Ranges", "bytes" if hub.behaviour.honour_range else "none")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                if not head:
                    self._body(name, data[start:])

            def _body(self, name: str, body: bytes) -> None:
                behaviour = hub.behaviour
                generation = hub._generation
                stall = behaviour.stall_after.get(name)
                drip = behaviour.drip_after.get(name)
                cut = None
                if name in behaviour.disconnect_after and behaviour.disconnect_times > 0:
                    behaviour.disconnect_times -= 1
                    cut = behaviour.disconnect_after[name]
                sent = 0
                step = 64 * 1024
                while sent < len(body):
                    limit = len(body)
                    for bound in (stall, cut, drip):
                        if bound is not None and bound > sent:
                            limit = min(limit, bound)
                    if stall is not None and sent >= stall:
                        self.wfile.flush()
                        hub.stalling.set()
                        hub.released.wait()
                        return
                    if drip is not None and sent >= drip:
                        self.wfile.flush()
                        hub.stalling.set()
                        while sent < len(body) and not hub.released.wait(behaviour.drip_every_s):
                            try:
                                self.wfile.write(body[sent : sent + 1])
                                self.wfile.flush()
                            except OSError:
                                return
                            sent += 1
                        return
                    if cut is not None and sent >= cut:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    piece = body[sent : min(sent + step, limit)]
                    try:
                        self.wfile.write(piece)
                    except OSError:
                        return
                    sent += len(piece)
                    with hub._lock:
                        if generation == hub._generation:
                            hub.served[name] += len(piece)
                    if behaviour.throttle_bps:
                        time.sleep(len(piece) / behaviour.throttle_bps)

        return Handler


@contextmanager
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub().start()
    try:
        yield hub
    finally:
        hub.stop()


# ----------------------------------------------------------------------------- olah


def olah_missing() -> str | None:
    """Why the olah fixture cannot run here, or None."""
    if shutil.which("git") is None:
        return "the git binary is not installed"
    if _olah_cli() is None:
        return "olah (olah-cli) is not installed"
    return None


def _olah_cli() -> str | None:
    beside = Path(sys.executable).with_name("olah-cli")
    return str(beside) if beside.exists() else shutil.which("olah-cli")


def make_olah_repo(mirrors: Path, repo_id: str, files: dict[str, bytes]) -> str:
    """A git repo under ``mirrors/models/<org>/<name>`` (LFS files as pointers); its commit."""
    root = mirrors / "models" / repo_id
    root.mkdir(parents=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    for name, data in files.items():
        target = root / name
        if is_lfs(name):
            digest = sha256(data)
            pointer = (
                "version https://git-lfs.github.com/spec/v1\n"
                f"oid sha256:{digest}\nsize {len(data)}\n"
            )
            target.write_text(pointer)
            obj = root / ".git" / "lfs" / "objects" / digest[:2] / digest[2:4] / digest
            obj.parent.mkdir(parents=True, exist_ok=True)
            obj.write_bytes(data)
        else:
            target.write_bytes(data)
    git("add", "-A")
    git("commit", "-q", "-m", "model")
    return git("rev-parse", "HEAD")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def start_olah(workdir: Path, mirrors: Path) -> Iterator[str]:
    """Run ``olah-cli`` over ``mirrors`` (offline, the public hub guarded off); yield its URL."""
    port, guard = free_port(), free_port()
    repos = workdir / "olah-repos"
    config = workdir / "olah.toml"
    config.write_text(
        "[basic]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        f'repos-path = "{repos}"\n'
        f'mirror-netloc = "127.0.0.1:{port}"\n'
        f'mirror-lfs-netloc = "127.0.0.1:{port}"\n'
        'hf-scheme = "http"\n'
        f'hf-netloc = "127.0.0.1:{guard}"\n'
        f'hf-lfs-netloc = "127.0.0.1:{guard}"\n'
        f'mirrors-path = ["{mirrors}"]\n'
        "[accessibility]\n"
        "offline = true\n"
    )
    log = (workdir / "olah.log").open("wb")
    process = subprocess.Popen(
        [_olah_cli() or "olah-cli", "-c", str(config)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"olah exited: {(workdir / 'olah.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("olah did not start within 30 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# ----------------------------------------------------------------------------- raw misbehaviour


@contextmanager
def raw_server(mode: str, drip_every_s: float = 0.2) -> Iterator[str]:
    """A socket server on 127.0.0.1 that misbehaves below HTTP; yields its URL.

    ``mode``: ``"silent"`` accepts, reads the request and never answers; ``"header-drip"`` sends
    a status line and headers one byte every ``drip_every_s`` forever; ``"body-drip"`` sends
    complete headers (a JSON body of 1 MB announced) and then one body byte per ``drip_every_s``;
    ``"hang-up"`` reads the request and closes the connection without a word.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def drip(conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if stop.wait(drip_every_s):
                return
            conn.sendall(data[i : i + 1])

    def serve(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            if mode == "silent":
                stop.wait()
            elif mode == "hang-up":
                conn.close()
            elif mode == "header-drip":
                drip(conn, b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"a" * 100_000)
            elif mode == "body-drip":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                conn.sendall(head + b"Content-Length: 1000000\r\n\r\n")
                drip(conn, b'{"id": "' + b"a" * 999_990 + b'"}')
        except OSError:
            pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conns.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    host, port = listener.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        listener.close()
        for conn in conns:
            conn.close()
