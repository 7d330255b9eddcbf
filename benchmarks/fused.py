"""Fused, cache-blocked regression sums: the numpy kernel the reader probes feed.

Not losscli's implementation (that is :mod:`losscli.losses`); a stand-in of the same
shape so ``reader_strategies.py`` can time "read + compute every regression loss"
before the library lands, and a micro-benchmark of fused vs one-loss-at-a-time numpy.

Every regression loss is Σ ℓ(y, ŷ) / n (r2 from Σy, Σy², Σe²), so one pass keeps
a handful of sums. ``e = y - ŷ`` and ``|e|`` are computed once per block and reused;
blocks of ``BLOCK`` rows keep the temporaries in the L2 cache.
"""

from __future__ import annotations

import math
from typing import Any

BLOCK = 65_536
DELTA = 1.0
W_UNDER, W_OVER = 2.0, 1.0
LOG2 = math.log(2.0)


class RegSums:
    """Running sums for mse, rmse, mae, huber, log_cosh, asymmetric_mse, mape, msle,
    poisson_deviance and r2 (all unweighted)."""

    def __init__(self) -> None:
        self.n = 0
        self.s = dict.fromkeys(
            ("e2", "ae", "huber", "logcosh", "asym", "ape", "sle", "pois", "y", "y2"), 0.0
        )

    def update(self, y: Any, p: Any) -> None:
        import numpy as np

        n = len(y)
        s = self.s
        for lo in range(0, n, BLOCK):
            yb = y[lo : lo + BLOCK]
            pb = p[lo : lo + BLOCK]
            e = yb - pb
            a = np.abs(e)
            e2 = float(np.dot(e, e))
            s["e2"] += e2
            s["ae"] += float(a.sum())
            m = np.minimum(a, DELTA)
            s["huber"] += float(np.dot(m, a - 0.5 * m))
            # log cosh e = |e| + log1p(exp(-2|e|)) - log 2: no overflow for large |e|
            s["logcosh"] += float((a + np.log1p(np.exp(-2.0 * a))).sum()) - LOG2 * len(a)
            pos = np.maximum(e, 0.0)
            e2_pos = float(np.dot(pos, pos))
            s["asym"] += W_UNDER * e2_pos + W_OVER * (e2 - e2_pos)
            s["ape"] += float((a / np.abs(yb)).sum())
            d = np.log1p(yb) - np.log1p(pb)
            s["sle"] += float(np.dot(d, d))
            # 2 (y log(y/ŷ) - y + ŷ) = 2 (y log(y/ŷ) + ŷ - y); y > 0 in the bench data
            s["pois"] += 2.0 * float((yb * np.log(yb / pb) - e).sum())
            s["y"] += float(yb.sum())
            s["y2"] += float(np.dot(yb, yb))
        self.n += n

    def result(self) -> dict[str, float]:
        n = self.n
        s = self.s
        mse = s["e2"] / n
        ss_tot = s["y2"] - s["y"] * s["y"] / n
        return {
            "mse": mse,
            "rmse": math.sqrt(mse),
            "mae": s["ae"] / n,
            "huber": s["huber"] / n,
            "log_cosh": s["logcosh"] / n,
            "asymmetric_mse": s["asym"] / n,
            "mape": s["ape"] / n,
            "msle": s["sle"] / n,
            "poisson_deviance": s["pois"] / n,
            "r2": 1.0 - s["e2"] / ss_tot,
        }


def separate(y: Any, p: Any) -> dict[str, float]:
    """Textbook numpy: each loss on its own, from the whole arrays."""
    import numpy as np

    e = y - p
    a = np.abs(y - p)
    out = {
        "mse": float(np.mean((y - p) ** 2)),
        "rmse": float(np.sqrt(np.mean((y - p) ** 2))),
        "mae": float(np.mean(np.abs(y - p))),
        "huber": float(
            np.mean(np.where(a <= DELTA, 0.5 * (y - p) ** 2, DELTA * (np.abs(y - p) - 0.5 * DELTA)))
        ),
        "log_cosh": float(np.mean(np.log(np.cosh(y - p)))),
        "asymmetric_mse": float(np.mean(np.where(e > 0, W_UNDER, W_OVER) * (y - p) ** 2)),
        "mape": float(np.mean(np.abs(y - p) / np.abs(y))),
        "msle": float(np.mean((np.log1p(y) - np.log1p(p)) ** 2)),
        "poisson_deviance": float(np.mean(2 * (y * np.log(y / p) - y + p))),
        "r2": float(1 - np.sum((y - p) ** 2) / np.sum((y - np.mean(y)) ** 2)),
    }
    return out
