"""``hf://`` URLs: the Hugging Face Hub through huggingface_hub's fsspec filesystem
(``HfFileSystem``), as :mod:`losscli.io.remote` reads every other store.

* What a URL names is HfFileSystem's: ``hf://datasets/OWNER/REPO/PATH``,
  ``hf://spaces/OWNER/REPO/PATH``, ``hf://OWNER/REPO/PATH`` (a model repository),
  each with an optional ``@REVISION`` after the repository (a branch, a tag, a commit,
  ``refs/pr/N``).
* Credentials and the endpoint are the Hub's standard environment, read by
  huggingface_hub itself: ``HF_TOKEN``, else the token file that ``hf auth login``
  writes (under ``HF_HOME``); ``HF_ENDPOINT`` for a private Hub or a mirror. losscli
  adds no option of its own for them. Files are read in HTTP ranges (``resolve``
  downloads with ``Range``), never downloaded whole first.
* A repository's card, ``README.md`` at its root, is not data: a listing of the
  repository (``hf://datasets/OWNER/REPO``) leaves it out, as it leaves out
  ``.gitattributes`` (hidden, like every ``.``/``_`` file of a dataset).
* A gated repository lists its files to everyone and serves them only to an account
  granted access, so its first file is probed (one 1-byte range) once per
  repository and process: a refusal is then one line naming the URL before any
  reader opens a file, instead of a reader's error about the bytes it did not get.
* The Hub's errors (huggingface_hub's classes, told apart by the ``X-Error-Code`` the
  Hub sends) become one line each: :func:`failure`.

Cut so: :mod:`losscli.io.remote` stays the one place that knows fsspec; what only
the Hub needs (its error classes, its repository card, its gating) is here, imported
by remote for ``hf://`` URLs alone. huggingface_hub is imported inside functions, only
once a URL is ``hf://``.
"""

from __future__ import annotations

from typing import Any

from losscli.errors import InputError

#: how to give the Hub a token, in the Hub's own words
_LOGIN = "set HF_TOKEN or run `hf auth login`"
#: the HTTP clients whose errors mean the Hub was not reached (huggingface_hub 2 uses
#: httpx2; its errors are not the Hub's answers)
_TRANSPORTS = ("httpx", "httpx2", "httpcore", "httpcore2")
#: the repositories (endpoint, repository@revision) whose files this process read
_PROBED: set[tuple[str, str]] = set()


def failure(url: str, exc: BaseException) -> InputError | None:
    """The Hub's error ``exc`` on ``url`` as one line, None when it is not one of the
    Hub's (then :func:`losscli.io.remote.failure` words it)."""
    try:
        from huggingface_hub import errors
    except ImportError:
        return None
    cause = exc.__cause__ if isinstance(exc, FileNotFoundError) else None
    err = cause if isinstance(cause, errors.HfHubHTTPError) else exc
    if isinstance(err, errors.GatedRepoError):
        if _status(err) == 403:
            why = "the repository is gated and this token was not granted access to it"
        else:
            why = (
                "the repository is gated (its files need the token of an account "
                f"granted access: {_LOGIN})"
            )
        return InputError(f"cannot read {url}: {why}")
    if isinstance(err, errors.RepositoryNotFoundError):
        return InputError(
            f"cannot read {url}: repository not found (a private one needs a token "
            f"that may read it: {_LOGIN})"
        )
    if isinstance(err, errors.RevisionNotFoundError):
        return InputError(f"cannot read {url}: revision not found in the repository")
    if isinstance(err, errors.RemoteEntryNotFoundError):
        return InputError(f"file not found: {url}")
    if isinstance(err, errors.HfHubHTTPError):
        return InputError(f"cannot read {url}: {_http_reason(err)}")
    if isinstance(exc, FileNotFoundError):
        return InputError(f"file not found: {url}")
    if type(exc).__module__.split(".")[0] in _TRANSPORTS:
        from huggingface_hub import constants

        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        return InputError(
            f"cannot read {url}: cannot reach the Hub at {constants.ENDPOINT} ({reason})"
        )
    return None


def _status(err: Any) -> int | None:
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _http_reason(err: Any) -> str:
    """The Hub's answer in a few words: the HTTP status and its message."""
    status = _status(err)
    said = " ".join(str(err.server_message or "").split())[:160]
    if status == 401:
        return f"HTTP 401, the Hub refused the token ({said or 'invalid credentials'}; {_LOGIN})"
    if status is None:
        return " ".join(str(err).split())[:200]
    return f"HTTP {status} from the Hub" + (f" ({said})" if said else "")


def checked(fs: Any, paths: list[str], url: str, *, listing: bool) -> list[str]:
    """``paths`` found for ``url``, without the repository's card (``README.md`` at the
    repository's root) when they are a ``listing`` of a folder; the first one probed
    (:func:`probe`)."""
    if listing:
        paths = [p for p in paths if fs.resolve_path(p).path != "README.md"]
    if paths:
        probe(fs, paths[0], url)
    return paths


def probe(fs: Any, path: str, url: str) -> None:
    """Read one byte of the file ``path`` unless its repository was read already in
    this process: a gated repository refuses it (InputError naming ``url``)."""
    try:
        key = (str(fs.endpoint), str(fs.resolve_path(path).root))
        if key in _PROBED or not fs.info(path).get("size"):
            return
        # cache_type "none": exactly the byte asked for, not a read-ahead block
        with fs.open(path, "rb", block_size=1, cache_type="none") as fh:
            fh.read(1)
    except Exception as exc:
        from losscli.io import remote

        raise remote.failure(url, exc) from None
    _PROBED.add(key)
