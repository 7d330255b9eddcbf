"""A state (:mod:`losscli.evaluate.state`) as JSON text and back: the ``.lstate`` file.

Why JSON: a state is small (sums per model × loss, or per group), must be readable by
any engine that shards work (Spark, Ray, a batch job) and must never execute anything
when read (no pickle). Numbers are exact: a float is written by Python's ``repr``,
which reads back to the same double (the shortest round-trip form), and a value that
JSON cannot hold (NaN, ±inf) is a tagged object. The format (docs/merge.md):

* the top level is the state's dict, ``"schema": "losscli.state/3"`` first (a ``/2``
  file, whose ``--by`` R² arrays hold each group's mean of y, ``mean``, instead of its
  mean about the pivot, ``dmean``, is read with dmean = mean − ref, as it was read
  before; a ``/1`` file is a ``/2`` without ``bootstrap``: a state without bucket sums);
* a numpy array is ``{"$array": DTYPE, "shape": [...], ...}`` with DTYPE ``float64``,
  ``int64`` or ``bool``, flattened in C order: numbers as ``"base64"`` (of their
  little-endian bytes: exact, decoded by one C call, where a JSON list costs a Python
  float per number), booleans as ``"data": [...]``; a ``data`` list of numbers is read
  too (a float that is not finite: the string ``"NaN"``, ``"Infinity"`` or
  ``"-Infinity"`` there);
* a lone float that is not finite is ``{"$float": "NaN" | "Infinity" | "-Infinity"}``.

:func:`loads` checks what the merge relies on (the schema, each key's type, one item per
model and loss, per-group arrays as long as the group list) and names the file and the
first problem in one :class:`~losscli.errors.InputError`.
"""

from __future__ import annotations

import binascii
import json
import math
from collections.abc import Mapping
from typing import Any

from losscli.errors import InputError

SCHEMA = "losscli.state/3"
#: read too: the same keys but ``bootstrap`` (a state without bucket sums)
SCHEMA_1 = "losscli.state/1"
#: read too: R²'s per-group ``mean`` of y itself where /3 has ``dmean``, the mean
#: about the group's pivot (``ref``)
SCHEMA_2 = "losscli.state/2"
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_DTYPES = ("float64", "int64", "bool")
#: the byte order of base64 arrays (little-endian, whatever the machine)
_LITTLE = {"float64": "<f8", "int64": "<i8"}
#: top-level keys and their JSON types (``None``: may be null)
_KEYS: dict[str, tuple[Any, ...]] = {
    "schema": (str,),
    "losscli": (str,),
    "file": (str,),
    "setting": (dict,),
    "notes": (list,),
    "positions": (str,),
    "row_offset": (int,),
    "rows_read": (int,),
    "rows": (int,),
    "dropped": (int,),
    "missing": (int,),
    "missing_first": (list, None),
    "total_weight": (float, int),
    "unnormalized": (list,),
    "first_unnormalized": (list,),
    "classes_seen": (list, None),
    "binary_labels": (list,),
    "groups": (list, None),
    "losses": (list,),
    "models": (list, None),
    "bootstrap": (dict, None),
}
#: the ``bootstrap`` document's keys (losscli.evaluate.bucket_state)
_BOOT: dict[str, tuple[Any, ...]] = {
    "seed": (int,),
    "buckets": (int,),
    "level": (int,),
    "grouped": (bool,),
    "pivot": (float, None, int),
    "classes": (int,),
    "shared": (dict, None),
    "own": (list, None),
}
_SETTING = ("layout", "task", "params", "losses", "by", "weight", "decision")


def dumps(state: Mapping[str, Any]) -> str:
    """The JSON text of a state (one line, keys in the state's order)."""
    return json.dumps(_encode(state), separators=(",", ":"), allow_nan=False) + "\n"


def _encode(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, np.generic):
        return _encode(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": _word(value)}
    return value


def _word(value: float) -> str:
    return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"


def _array(a: Any) -> dict[str, Any]:
    """A numpy array as a tagged object: numbers as the base64 of their little-endian
    bytes (exact, and read back by one C call: ``merge`` of a thousand states is
    mostly reading them), booleans as a list."""
    import base64

    kind = "bool" if a.dtype == bool else "int64" if a.dtype.kind in "iu" else "float64"
    if kind == "bool":
        return {"$array": kind, "shape": list(a.shape), "data": a.reshape(-1).tolist()}
    raw = a.astype(_LITTLE[kind], copy=False).tobytes(order="C")
    return {"$array": kind, "shape": list(a.shape), "base64": base64.b64encode(raw).decode()}


def loads(text: str | bytes, name: str) -> dict[str, Any]:
    """The state in ``text`` (read from ``name``), checked; an :class:`InputError`
    naming ``name`` when it is not a state file or is damaged."""
    try:
        doc = json.loads(text, object_hook=_tagged)
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a losscli state file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: not a losscli state file (invalid JSON at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    except (KeyError, TypeError, ValueError) as exc:  # (a damaged tag, see _tagged)
        raise InputError(f"{name}: damaged state file ({_why(exc)})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
        raise InputError(f'{name}: not a losscli state file (no "schema")')
    older = doc["schema"] in (SCHEMA_1, SCHEMA_2)
    if doc["schema"] == SCHEMA_1 and "bootstrap" not in doc:
        doc = dict(doc, bootstrap=None)  # (/1: /2 without bucket sums)
    if older:
        doc = dict(doc, schema=SCHEMA)
    if doc["schema"] != SCHEMA:
        raise InputError(
            f"{name}: state schema {doc['schema']!r} is not {SCHEMA!r} (made by another "
            "losscli version?)"
        )
    try:
        _check(doc)
        _layout_ignored(doc)
        if older:
            _r2_about_pivots(doc)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InputError(f"{name}: damaged state file ({_why(exc)})") from None
    return doc


def _layout_ignored(state: dict[str, Any]) -> None:
    """A state written before columns were left out by name (``layout.ignored``,
    e.g. ``prob_pred`` beside ``pred``) left none out: ``[]``, so it merges with the
    states written since."""
    layout = state["setting"].get("layout")
    if isinstance(layout, dict) and "ignored" not in layout:
        layout["ignored"] = []


def _r2_about_pivots(state: dict[str, Any]) -> None:
    """A ``/1`` or ``/2`` state's ``--by`` R² arrays as ``/3`` holds them: each
    group's mean about its pivot, dmean = mean − ref (groups not seen: mean)."""
    import numpy as np

    for items in state["models"] or ():
        for item in items:
            if item["kind"] == "r2":
                arrays = dict(item["arrays"])
                mean = arrays.pop("mean")
                seen = np.asarray(arrays["seen"], dtype=bool)
                dmean = mean - np.where(seen, arrays["ref"], 0.0)
                order = ("weight", "dmean", *(k for k in arrays if k != "weight"))
                item["arrays"] = {k: dmean if k == "dmean" else arrays[k] for k in order}


def _why(exc: Exception) -> str:
    return f"no {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__


def _tagged(value: dict[str, Any]) -> Any:
    """``json.loads``' object hook: a tagged array or float → its value (a damaged
    tag: a ValueError, worded by :func:`loads`)."""
    import numpy as np

    if "$float" in value:
        return _NONFINITE[value["$float"]]
    if "$array" not in value:
        return value
    kind = value["$array"]
    if kind not in _DTYPES:
        raise ValueError(f"array type {kind!r}")
    shape = tuple(value["shape"])
    if "base64" in value and kind != "bool":
        raw = bytearray(binascii.a2b_base64(value["base64"], strict_mode=True))
        out = np.frombuffer(raw, dtype=_LITTLE[kind])
        return out if len(shape) == 1 and out.shape == shape else out.reshape(shape)
    data = value["data"]
    if kind == "float64" and any(isinstance(v, str) for v in data):
        data = [_NONFINITE[v] if isinstance(v, str) else v for v in data]
    return np.array(data, dtype=kind).reshape(shape)


def _typed(doc: dict[str, Any], keys: dict[str, tuple[Any, ...]], where: str = "") -> None:
    for key, types in keys.items():
        value = doc[key]
        if not (isinstance(value, types[0]) or (value is None and None in types)) and not any(
            t is not None and isinstance(value, t) for t in types[1:]
        ):
            raise TypeError(f"{where}{key!r} is a {type(value).__name__}")


def _check(state: dict[str, Any]) -> None:
    """Raise (KeyError, TypeError, ValueError) at the first thing a merge cannot use."""
    _typed(state, _KEYS)
    if state["bootstrap"] is not None:
        _check_buckets(state["bootstrap"], state)
    missing = [key for key in _SETTING if key not in state["setting"]]
    if missing:
        raise KeyError(f"setting.{missing[0]}")
    if state["positions"] not in ("relative", "absolute"):
        raise ValueError(f"positions {state['positions']!r}")
    groups = state["groups"]
    if groups is not None and len(state["group_rows"]) != len(groups):
        raise ValueError("group_rows and groups differ in length")
    models = state["models"]
    if models is None:
        return
    n_models = len(state["setting"]["layout"]["models"])
    if len(models) != n_models or any(len(m) != len(state["losses"]) for m in models):
        raise ValueError("not one item per model and loss")
    for items in models:
        for item in items:
            _check_item(item, groups)


def _check_item(item: dict[str, Any], groups: list[str] | None) -> None:
    import numpy as np

    kind = item["kind"]
    if groups is None:
        if kind != "accumulator" or not isinstance(item["state"], dict):
            raise ValueError(f"a {kind!r} item in an ungrouped state")
        return
    if kind not in ("declared", "mean", "r2"):
        raise ValueError(f"item kind {kind!r}")
    arrays = list(item["arrays"].values()) + ([item["broken"]] if kind == "mean" else [])
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.shape[0] != len(groups):
            raise ValueError("a per-group array is not as long as the group list")


def _check_buckets(doc: dict[str, Any], state: dict[str, Any]) -> None:
    """The bucket sums of ``--ci``: arrays (groups, K >> level[, classes]), one dict per
    model and loss (``null``: a loss without bucket state)."""
    import numpy as np

    _typed(doc, _BOOT, "bootstrap.")
    k, level = doc["buckets"], doc["level"]
    if k < 1 or not 0 <= level < 63 or (k >> level) < 1:
        raise ValueError(f"bootstrap buckets {k} at level {level}")
    if doc["shared"] is None:
        return
    groups = state["groups"]
    n = max(len(groups), 1) if groups is not None else 1
    own = doc["own"]
    if own is None or len(own) != len(state["setting"]["layout"]["models"]):
        raise ValueError("bootstrap: not one row of bucket sums per model")
    dicts = [doc["shared"], *(d for row in own for d in row if d is not None)]
    if any(len(row) != len(state["losses"]) for row in own):
        raise ValueError("bootstrap: not one item per model and loss")
    for d in dicts:
        if not isinstance(d, dict):
            raise TypeError("bootstrap: bucket sums are not an object")
        for a in d.values():
            if (
                not isinstance(a, np.ndarray)
                or a.ndim not in (2, 3)
                or a.shape[:2] != (n, k >> level)
            ):
                raise ValueError("bootstrap: an array is not (groups, buckets[, classes])")
