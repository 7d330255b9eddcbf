"""``losscli merge``: the report of several saved states (``evaluate --save-state``).

Thin glue: read each ``.lstate`` file (:mod:`losscli.evaluate.state_codec`), merge them
in the order given (:func:`losscli.evaluate.state.merge_states`, which names the first
state that does not merge), then print the report exactly as ``evaluate`` does
(:func:`losscli.cli.evaluate_cmd.show_report`): the merged report is the whole data's.
"""

from __future__ import annotations

from pathlib import Path

import typer

from losscli.cli.evaluate_cmd import show_report
from losscli.cli.options import (
    Output,
    baseline_option,
    ci_option,
    correction_option,
    fail_if_option,
    max_groups_option,
    output_file_option,
    output_option,
    precision_option,
    pvalue_test_option,
    resamples_option,
    seed_option,
)
from losscli.errors import InputError


def merge_command(
    states: list[str] = typer.Argument(
        ...,
        metavar="STATE...",
        help="State files written by 'losscli evaluate FILE --save-state STATE', in the "
        "order of their rows (rows in messages are counted across them in this order, "
        "unless every shard was saved with --row-offset).",
    ),
    output: Output = output_option(Output),
    output_file: Path | None = output_file_option(),
    precision: int = precision_option(),
    max_groups: int = max_groups_option(),
    fail_if: list[str] | None = fail_if_option(),
    ci: str | None = ci_option(
        help="Intervals and paired comparisons from the states' bootstrap buckets (saved "
        "by 'evaluate --ci --row-offset N --save-state'), as 'evaluate --ci' gives them "
        "on the whole data.",
    ),
    resamples: int | None = resamples_option(),
    seed: int | None = seed_option(
        help="With --ci: the seed the states were saved with (default: theirs)."
    ),
    baseline: str | None = baseline_option(help="With --ci: the model compared with."),
    test: str | None = pvalue_test_option(help="With --ci: bootstrap (default) or permutation."),
    correction: str | None = correction_option(help="With --ci: none (default) or holm."),
) -> None:
    """The report of the rows of several saved states together, as 'evaluate' prints it.

    Exit status: 0 ok, 1 a --fail-if gate failed, 2 usage or input error (a file that is
    not a state, states whose options differ).
    """
    from losscli.evaluate import gates, state_codec
    from losscli.evaluate.api import ci_settings
    from losscli.evaluate.state import merge_states

    gates.parse_gates(tuple(fail_if or ()))  # (a typo costs no file read)
    settings = ci_settings(
        None if ci is None else float(ci),
        resamples=resamples,
        seed=seed,
        baseline=baseline,
        test=test,
        correction=correction,
    )
    # (STATE... are str, not Path: typer validates each Path through pydantic, which
    # costs a third of a second for a thousand states)
    names = list(states)
    loaded = [state_codec.loads(_read(Path(name)), name) for name in names]
    report = merge_states(
        loaded,
        fail_if=tuple(fail_if or ()),
        names=names,
        ci=settings,
        seed=seed,
        baseline=baseline,
    )
    show_report(report, output, output_file, precision, max_groups)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
