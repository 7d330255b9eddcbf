"""The loss library (being split into modules; see functions.py)."""

from losscli.losses.functions import *  # noqa: F403
from losscli.losses.functions import (  # noqa: F401
    AT_INDEX,
    DEFAULT_EPS,
    REGISTRY,
    Accumulator,
    BalancedAccumulator,
    Batch,
    ClassWeightedAccumulator,
    LossSpec,
    MeanAccumulator,
    R2Accumulator,
    get_spec,
)
