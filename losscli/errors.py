"""Errors and warnings of losscli.

Domain code raises these with a message that is complete on its own (file,
column, first bad row) *and* with the same facts as fields, so that a layer that
knows more (the engine knows the file row of a loss-library index) computes its
message from the fields instead of rewriting another layer's text. Only
:mod:`losscli.cli` catches them, prints the message as one line on stderr and maps
it to an exit status. Stdlib only.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes, like ``diff``: stable, documented in the README."""

    OK = 0
    GATE_FAILED = 1
    ERROR = 2
    # A reader of stdout went away (`losscli ... | head`): what a shell reports for a
    # command killed by SIGPIPE (128 + 13), so `set -o pipefail` sees a cut output.
    BROKEN_PIPE = 141


class LossCliError(Exception):
    """Base of every error losscli reports to the user (exit status 2)."""

    exit_status: ExitStatus = ExitStatus.ERROR


class OutputError(LossCliError):
    """The output cannot be written: stdout closed or full, an output file that
    cannot be created, written or renamed into place."""


class UsageError(LossCliError):
    """A bad option or combination of options."""


class InputError(LossCliError):
    """A file or its content cannot be used (missing, unreadable, bad column, bad value).

    Fields (each ``None`` when it does not apply): ``file`` (the name as the user gave
    it), ``column``, ``row`` (1-based data row, the header not counted).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.column = column
        self.row = row


class LossInputError(LossCliError, ValueError):
    """Arrays handed to the loss library are invalid (length, NaN, range, labels, weights).

    A ``ValueError`` too, so library users can catch it the usual way.

    Fields (each ``None`` when it does not apply): ``what`` (the argument, e.g.
    ``"y_pred"``), ``problem`` (e.g. ``"outside [0, 1]"``), ``count`` (how many values
    break the rule) and ``first_index`` (0-based index, in the arrays handed to the
    library, of the first one). The engine turns ``first_index`` into a file row.
    """

    def __init__(
        self,
        message: str,
        *,
        what: str | None = None,
        problem: str | None = None,
        count: int | None = None,
        first_index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.what = what
        self.problem = problem
        self.count = count
        self.first_index = first_index


class LossWarning(UserWarning):
    """Something worth knowing that does not stop the computation
    (e.g. probability rows that do not sum to 1)."""
