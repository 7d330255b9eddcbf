"""Renderers: report objects in, strings or rich renderables out. They never print.

Shared helpers live here so every command formats numbers, JSON and untrusted
text the same way. Untrusted text (column names, class labels, group values,
file names) goes into rich as :class:`rich.text.Text`, never as markup, and into
CSV through :func:`csv_cell`, never as a live spreadsheet formula.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# C0/C1 control characters (ESC among them) would let a file drive the terminal;
# bidirectional marks, embeddings, overrides and isolates (U+200E/F, U+202A-E,
# U+2066-9) would make text read in another order than it is ("Trojan Source"),
# and the line and paragraph separators (U+2028/9) would break a one-line message.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_CONTROL = re.compile(f"[{_UNSAFE}]")
# In JSON text json.dumps already escapes C0; the rest appear raw with ensure_ascii=False.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    """Make untrusted text printable as-is: control characters become visible
    escapes (``\\x1b``), so terminal escape codes from a file do nothing, and
    bidirectional controls become ``\\u202e``, so text reads in the order it is.
    Stdlib only: error paths use it too."""
    return _CONTROL.sub(_escape, str(value))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def csv_cell(value: object) -> str:
    """Neutralise a text cell for CSV output: a leading ``= + - @`` would be read
    as a formula by spreadsheets (CSV injection), so it gets a leading quote.
    Numbers are written by the caller and never pass through here."""
    text = safe_text(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def fmt_number(value: float | None, precision: int = 4) -> str:
    """``precision`` significant digits, no exponent for ordinary magnitudes."""
    if value is None:
        return "—"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -5 <= magnitude < 15:
        decimals = max(precision - 1 - magnitude, 0)
        return f"{value:.{decimals}f}"
    return f"{value:.{max(precision - 1, 0)}e}"


def to_json(document: dict[str, Any] | list[Any]) -> str:
    """JSON with keys in the order given, floats at full precision (repr), one
    trailing newline. Non-finite floats become null: JSON has no NaN. C1 controls,
    bidirectional marks and line separators inside strings are ``\\u`` escapes (the
    same text, never raw on stdout). A document or a list of them (``history`` of
    several runs)."""

    def clean(obj: Any) -> Any:
        if isinstance(obj, float) and not math.isfinite(obj):
            return None
        if isinstance(obj, dict):
            return {str(k): clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [clean(v) for v in obj]
        return obj

    text = json.dumps(clean(document), ensure_ascii=False, indent=2, allow_nan=False)
    # (C1 controls and bidi marks only occur inside strings: a \\u escape is the same text)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
