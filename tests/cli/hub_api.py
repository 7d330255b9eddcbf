"""A Hugging Face Hub on 127.0.0.1 for tests/cli/test_hf_source.py: the part of the
Hub's HTTP API that huggingface_hub's ``HfFileSystem`` calls to list and read a
repository, served from folders of real files (one folder per revision).

* ``GET /api/{models,datasets,spaces}/NS/NAME[/revision/REV]``: the repository's
  info (``repo_info``: its id and the revision's commit ``sha``);
* ``GET /api/KIND/NS/NAME/tree/REV[/PATH]?recursive=…``: the entries below PATH
  (one page: no ``Link`` header); a file's own path lists that file;
* ``POST /api/KIND/NS/NAME/paths-info/REV`` (form ``paths=…``): the entries named;
* ``GET``/``HEAD`` ``[/datasets|/spaces]/NS/NAME/resolve/REV/PATH``: the file's
  bytes, ``Range: bytes=a-b`` answered 206 with ``Content-Range``, and the headers
  the Hub sends (``ETag``, ``X-Repo-Commit``; ``X-Linked-Size``/``X-Linked-Etag`` for
  LFS files).

Files are reported as the Hub reports git and LFS files (``oid``, ``size``, ``lfs``
for ``*.parquet`` and ``*.gz``), never with a ``xetHash``, so huggingface_hub reads
them over plain HTTP ranges and never through hf_xet. Errors carry the Hub's
``X-Error-Code`` header (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``,
``GatedRepo``), which is what huggingface_hub turns into its error classes: a
private repository without a valid token is 401 ``RepoNotFound`` (the Hub does not
say that it exists), a gated one lists its files but its downloads are 401 without
a token and 403 with a token not granted. Every request is logged
(:attr:`Hub.log`) with its Range and Authorization headers, so that the tests can
assert ranged reads and which token was sent.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

KINDS = ("models", "datasets", "spaces")
#: suffixes the repos' .gitattributes would store in LFS (as the Hub's default does)
LFS_SUFFIXES = (".parquet", ".gz")


class Request(NamedTuple):
    """One request as the server answered it (the path unquoted)."""

    method: str
    path: str
    range: str | None
    authorization: str | None
    status: int
    #: bytes of the file sent (a download's body), 0 for the API's answers
    sent: int = 0


@dataclass
class Repo:
    """One repository: ``revisions`` maps a branch or tag name to its folder."""

    kind: str
    repo_id: str
    revisions: dict[str, Path]
    private: bool = False
    gated: bool = False
    #: tokens that may read it (a private or gated repo)
    tokens: tuple[str, ...] = ()

    def commit(self, revision: str) -> str:
        return hashlib.sha1(f"{self.repo_id}@{revision}".encode()).hexdigest()

    def folder(self, revision: str) -> Path | None:
        """The folder of a branch, a tag or a commit sha."""
        if revision in self.revisions:
            return self.revisions[revision]
        for name, folder in self.revisions.items():
            if self.commit(name) == revision:
                return folder
        return None


@dataclass
class Hub:
    repos: dict[tuple[str, str], Repo] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    endpoint: str = ""
    #: tokens of real accounts; any other token is refused on every request (401)
    accounts: tuple[str, ...] = ()
    #: the folders the repositories serve, by a name of the test's choosing
    folders: dict[str, Path] = field(default_factory=dict)

    def add(self, repo: Repo) -> Repo:
        self.repos[(repo.kind, repo.repo_id)] = repo
        return repo

    def resolves(self, suffix: str = "") -> list[Request]:
        """The logged downloads (``/resolve/`` GETs) of paths ending in ``suffix``."""
        return [
            r
            for r in self.log
            if r.method == "GET" and "/resolve/" in r.path and r.path.endswith(suffix)
        ]


class _Refused(Exception):
    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@functools.lru_cache(maxsize=256)
def _digests(path: str, size: int, mtime: int) -> tuple[str, str]:
    """A file's git blob id (the Hub's ``oid`` of a file) and its SHA-256 (an LFS
    file's ``oid``), computed once per version of the file."""
    data = Path(path).read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return blob, hashlib.sha256(data).hexdigest()


def _entry(root: Path, path: Path) -> dict[str, Any]:
    rel = path.relative_to(root).as_posix()
    if path.is_dir():
        return {"type": "directory", "oid": hashlib.sha1(rel.encode()).hexdigest(), "path": rel}
    stat = path.stat()
    blob, sha256 = _digests(str(path), stat.st_size, stat.st_mtime_ns)
    entry: dict[str, Any] = {"type": "file", "oid": blob, "size": stat.st_size, "path": rel}
    if path.name.endswith(LFS_SUFFIXES):
        entry["lfs"] = {"oid": sha256, "size": stat.st_size, "pointerSize": 134}
    return entry


def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
    for child in sorted(folder.iterdir()):
        yield child
        if recursive and child.is_dir():
            yield from _walk(child, True)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: Hub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ------------------------------------------------------------------ plumbing

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self._status = status
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(
            200, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})}
        )

    def _handle(self) -> None:
        url = urlsplit(self.path)
        self._status, self._sent = 0, 0
        try:
            self._answer(url)
        finally:
            self.hub.log.append(
                Request(
                    self.command,
                    unquote(url.path),
                    self.headers.get("Range"),
                    self.headers.get("Authorization"),
                    self._status,
                    self._sent,
                )
            )

    def _answer(self, url: Any) -> None:
        body = b""
        if self.headers.get("Content-Length"):
            body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            self._route(url.path, parse_qs(url.query), parse_qs(body.decode()))
        except _Refused as exc:
            headers = {"X-Error-Message": exc.message}
            if exc.code:
                headers["X-Error-Code"] = exc.code
            self._send(
                exc.status,
                json.dumps({"error": exc.message}).encode(),
                {"Content-Type": "application/json", **headers},
            )

    do_GET = do_HEAD = do_POST = _handle

    # ------------------------------------------------------------------ routes

    def _route(self, raw: str, query: dict[str, list[str]], form: dict[str, list[str]]) -> None:
        segs = raw.strip("/").split("/")
        if segs[0] == "api" and len(segs) >= 4 and segs[1] in KINDS:
            repo = self._repo(segs[1], f"{unquote(segs[2])}/{unquote(segs[3])}", content=False)
            rest = segs[4:]
            if not rest or rest[0] == "revision":
                revision = unquote(rest[1]) if len(rest) > 1 else "main"
                self._folder(repo, revision)
                self._json(
                    {"id": repo.repo_id, "sha": repo.commit(revision), "private": repo.private}
                )
                return
            if rest[0] in ("tree", "paths-info") and len(rest) >= 2:
                revision = unquote(rest[1])
                root = self._folder(repo, revision)
                if rest[0] == "tree":
                    path = unquote("/".join(rest[2:]))
                    recursive = query.get("recursive", ["False"])[0].lower() == "true"
                    self._json(self._tree(root, path, recursive, revision))
                else:
                    found = [root / p for p in form.get("paths", []) if p and (root / p).exists()]
                    self._json([_entry(root, p) for p in found])
                return
        elif "resolve" in segs:
            at = segs.index("resolve")
            kind, owner = ("models", segs[:at]) if segs[0] not in KINDS else (segs[0], segs[1:at])
            if len(owner) == 2 and len(segs) > at + 2:
                repo = self._repo(kind, "/".join(unquote(s) for s in owner), content=True)
                revision = unquote(segs[at + 1])
                root = self._folder(repo, revision)
                self._download(repo, revision, root, unquote("/".join(segs[at + 2 :])))
                return
        raise _Refused(404, None, "Sorry, we can't find the page you are looking for.")

    def _repo(self, kind: str, repo_id: str, *, content: bool) -> Repo:
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if token is not None and token not in self.hub.accounts:
            raise _Refused(401, None, "Invalid credentials in Authorization header")
        repo = self.hub.repos.get((kind, repo_id))
        if repo is None:
            raise _Refused(404, "RepoNotFound", "Repository not found")
        allowed = token is not None and token in repo.tokens
        if repo.private and not allowed:
            raise _Refused(401, "RepoNotFound", "Invalid username or password.")
        if repo.gated and content and not allowed:
            status = 401 if token is None else 403
            raise _Refused(status, "GatedRepo", f"Access to {repo.repo_id} is restricted.")
        return repo

    def _folder(self, repo: Repo, revision: str) -> Path:
        folder = repo.folder(revision)
        if folder is None:
            raise _Refused(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return folder

    def _tree(self, root: Path, path: str, recursive: bool, revision: str) -> list[dict[str, Any]]:
        target = root / path if path else root
        if not target.exists():
            raise _Refused(404, "EntryNotFound", f"{path} does not exist on {revision!r}")
        if target.is_file():
            return [_entry(root, target)]
        return [_entry(root, p) for p in _walk(target, recursive)]

    def _download(self, repo: Repo, revision: str, root: Path, path: str) -> None:
        target = root / path
        if not target.is_file():
            raise _Refused(404, "EntryNotFound", f"{path} does not exist on {revision!r}")
        entry = _entry(root, target)
        size = int(entry["size"])
        etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
        headers = {
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "ETag": f'"{etag}"',
            "X-Repo-Commit": repo.commit(revision),
        }
        if "lfs" in entry:
            headers |= {"X-Linked-Size": str(size), "X-Linked-Etag": f'"{etag}"'}
        spec = self.headers.get("Range")
        start, end, status = 0, size - 1, 200
        if spec is not None:
            first, _, last = spec.removeprefix("bytes=").partition("-")
            start, status = int(first), 206
            end = min(int(last) if last else size - 1, size - 1)
            if start >= size:
                raise _Refused(416, None, "Requested range not satisfiable")
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        with open(target, "rb") as fh:
            fh.seek(start)
            body = fh.read(end - start + 1)
        if self.command == "GET":
            self._sent = len(body)
        self._send(status, body, headers)


def serve(hub: Hub) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    """``hub`` served on a free port of 127.0.0.1 (``hub.endpoint`` set), in a
    daemon thread; the caller shuts the server down."""
    handler = type("Handler", (_Handler,), {"hub": hub})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    hub.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
