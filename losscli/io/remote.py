"""Object stores and URLs (``s3://``, ``gs://``, ``az://``, ``https://``; ``hf://``, the
Hugging Face Hub, with what only it needs in :mod:`losscli.io.hub`) through fsspec.

* Each scheme needs its fsspec backend, an optional extra of losscli
  (:data:`EXTRAS`: ``pip install 'losscli[s3]'`` and so on); without it the run
  exits 2 naming that line. A local path never imports fsspec.
* Credentials and endpoints come from each store's own environment and files, as
  the backend reads them (S3: ``AWS_ACCESS_KEY_ID``…, ``~/.aws/config``,
  ``AWS_PROFILE``). The S3 endpoint of an S3-compatible store (MinIO, Ceph) is
  taken from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` here and handed to s3fs
  as ``endpoint_url``: botocore reads these variables itself only in versions that
  know them, so losscli does not depend on which one is installed.
* GCS (``gs://``): gcsfs reads ``GOOGLE_APPLICATION_CREDENTIALS`` (or gcloud's
  default login) and ``STORAGE_EMULATOR_HOST`` itself. With an emulator
  (``STORAGE_EMULATOR_HOST`` set) losscli opens gcsfs's JSON-API filesystem
  (``gcsfs.core.GCSFileSystem``) rather than gcsfs's default one, which first asks
  the gRPC Storage Control API each bucket's layout (an emulator serves only the JSON
  API: a minute's retries per call); and anonymously, as google-cloud-storage's own
  client does with an emulator, unless ``GOOGLE_APPLICATION_CREDENTIALS`` names a
  credentials file (then that file, and one that is not a credential is an error).
* Azure (``az://``, ``abfs://``): adlfs reads ``AZURE_STORAGE_CONNECTION_STRING``
  (the way to an emulator such as Azurite: its ``BlobEndpoint``), or
  ``AZURE_STORAGE_ACCOUNT_NAME`` with ``AZURE_STORAGE_ACCOUNT_KEY`` or
  ``AZURE_STORAGE_SAS_TOKEN``, or a service principal / Azure's default credential
  itself; losscli passes nothing.
* Nothing is downloaded first: :class:`Remote` opens the object as a file that reads
  ranges on demand (Parquet reads its footer and the column chunks it needs; CSV and
  JSON Lines are read front to back in blocks).

Cut so: what knows URLs, fsspec and store errors is here; :mod:`losscli.io.sources`
turns a URL into a :class:`~losscli.io.sources.Source` carrying a :class:`Remote`,
and the readers see only that.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import IO, Any

from losscli.errors import InputError
from losscli.io import hub

#: scheme → (the fsspec protocol, the Python module of its backend, losscli's extra)
EXTRAS: dict[str, tuple[str, str, str]] = {
    "s3": ("s3", "s3fs", "s3"),
    "s3a": ("s3", "s3fs", "s3"),
    "gs": ("gcs", "gcsfs", "gcs"),
    "gcs": ("gcs", "gcsfs", "gcs"),
    "az": ("az", "adlfs", "azure"),
    "abfs": ("abfs", "adlfs", "azure"),
    "abfss": ("abfs", "adlfs", "azure"),
    "http": ("http", "aiohttp", "http"),
    "https": ("https", "aiohttp", "http"),
    "hf": ("hf", "huggingface_hub", "hf"),
}
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: Bytes an object is read in (one ranged request each), for CSV and JSON Lines.
REMOTE_BLOCK_BYTES = 8 << 20


def scheme(text: str) -> str | None:
    """The URL scheme of ``text`` (lower case), None for a local path."""
    m = _URL.match(text)
    return m.group(1).lower() if m else None


def is_url(text: str) -> bool:
    return scheme(text) is not None


@dataclass(frozen=True)
class Remote:
    """One object of a store: its filesystem, its path there, its size."""

    fs: Any
    path: str
    size: int
    url: str

    def open(self) -> IO[bytes]:
        """The object as a seekable binary file (ranged reads)."""
        try:
            return self.fs.open(self.path, "rb", block_size=REMOTE_BLOCK_BYTES)
        except Exception as exc:
            raise failure(self.url, exc) from None


def _endpoint_kwargs(protocol: str) -> dict[str, Any]:
    if protocol != "s3":
        return {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return {"endpoint_url": endpoint} if endpoint else {}


def filesystem(url: str) -> tuple[Any, str]:
    """``(fsspec filesystem, path in it)`` of ``url``; InputError naming the extra
    to install when its backend is missing."""
    name = scheme(url)
    if name not in EXTRAS:
        known = ", ".join(f"{s}://" for s in ("s3", "gs", "az", "https", "hf"))
        raise InputError(f"cannot read {url}: unknown URL scheme {name!r} (known: {known})")
    protocol, module, extra = EXTRAS[name]
    try:
        import importlib

        importlib.import_module("fsspec")
        importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"reading {name}:// URLs needs the {module} package: pip install 'losscli[{extra}]'"
        ) from None
    if protocol == "gcs" and os.environ.get("STORAGE_EMULATOR_HOST"):
        return _gcs_emulator(url)
    from fsspec.core import url_to_fs

    try:
        fs, path = url_to_fs(url, **_endpoint_kwargs(protocol))
    except Exception as exc:
        raise failure(url, exc) from None
    return fs, path


def _gcs_emulator(url: str) -> tuple[Any, str]:
    """gcsfs's JSON-API filesystem for a GCS emulator (see the module docstring)."""
    from fsspec.core import strip_protocol
    from gcsfs.core import GCSFileSystem

    token = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or "anon"
    # gcsfs takes a token that is not a file for an OAuth access token and asks
    # Google's token service about it: a missing file is said here instead
    if token != "anon" and not os.path.isfile(token):
        raise InputError(f"cannot read {url}: GOOGLE_APPLICATION_CREDENTIALS names no file")
    try:
        return GCSFileSystem(token=token), strip_protocol(url)
    except Exception as exc:
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise InputError(
            f"cannot read {url}: GOOGLE_APPLICATION_CREDENTIALS is not a credentials file"
            f" gcsfs can use ({why})"
        ) from None


def failure(url: str, exc: BaseException) -> InputError:
    """A store's error as one line naming the URL."""
    said = hub.failure(url, exc) if scheme(url) == "hf" else None
    if said is not None:
        return said
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    cause = exc.__cause__
    if isinstance(exc, FileNotFoundError) and isinstance(cause, OSError | ConnectionError):
        # fsspec's HTTP filesystem says "not found" for a server it cannot reach
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else cause
        return InputError(f"cannot read {url}: {' '.join(str(reason).split())[:200]}")
    if isinstance(exc, FileNotFoundError):
        return InputError(f"file not found: {url}")
    if isinstance(exc, PermissionError):
        return InputError(f"cannot read {url}: permission denied ({text})")
    return InputError(f"cannot read {url}: {text}")


def info(url: str) -> tuple[Any, str, dict[str, Any]]:
    """``(fs, path, info)`` of ``url``: the object's type and size, or InputError
    (a missing bucket or key, an HTTP error, no credentials)."""
    fs, path = filesystem(url)
    try:
        meta: dict[str, Any] = fs.info(path)
    except Exception as exc:
        raise failure(url, exc) from None
    return fs, path, meta


def resolve(url: str) -> Remote | list[str]:
    """A :class:`Remote` for an object, or the URLs of the objects under a
    "directory" URL or matching a glob (sorted; InputError when there is none)."""
    if re.search(r"[*?\[]", url.split("://", 1)[1]) and scheme(url) not in ("http", "https"):
        fs, path = filesystem(url)
        try:
            found = sorted(p for p in fs.glob(path) if not fs.isdir(p))
        except Exception as exc:
            raise failure(url, exc) from None
        if scheme(url) == "hf":
            found = hub.checked(fs, found, url, listing=False)
        return [_url_of(url, p) for p in found]
    fs, path, meta = info(url)
    if meta.get("type") == "directory":
        try:
            found = sorted(fs.find(path))
        except Exception as exc:
            raise failure(url, exc) from None
        if scheme(url) == "hf":
            found = hub.checked(fs, found, url, listing=True)
        return [_url_of(url, p) for p in found]
    if scheme(url) == "hf":
        hub.checked(fs, [path], url, listing=False)
    size = meta.get("size")
    return Remote(fs, path, int(size) if size is not None else -1, url)


def _url_of(url: str, path: str) -> str:
    """A listed path as a URL of the same scheme as ``url``; and of its account when
    ``url`` names one (``abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/…``, whose
    listing says ``CONTAINER/…``), so that a file's URL still starts with the root's."""
    if is_url(path):
        return path
    head, rest = url.split("://", 1)
    path = path.lstrip("/")
    netloc = rest.split("/", 1)[0]
    container, at, _ = netloc.partition("@")
    first, _, below = path.partition("/")
    if at and first == container:
        return f"{head}://{netloc}/{below}"
    return f"{head}://{path}"
