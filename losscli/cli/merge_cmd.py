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
    fail_if_option,
    max_groups_option,
    output_file_option,
    output_option,
    precision_option,
)
from losscli.errors import InputError


def merge_command(
    states: list[Path] = typer.Argument(
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
) -> None:
    """The report of the rows of several saved states together, as 'evaluate' prints it.

    Exit status: 0 ok, 1 a --fail-if gate failed, 2 usage or input error (a file that is
    not a state, states whose options differ).
    """
    from losscli.evaluate import gates, state_codec
    from losscli.evaluate.state import merge_states

    gates.parse_gates(tuple(fail_if or ()))  # (a typo costs no file read)
    names = [str(p) for p in states]
    loaded = [state_codec.loads(_read(p), name) for p, name in zip(states, names, strict=True)]
    report = merge_states(loaded, fail_if=tuple(fail_if or ()), names=names)
    show_report(report, output, output_file, precision, max_groups)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
