"""Errors and warnings of losscli.

Domain code raises these with a message that is complete on its own (file,
column, first bad row); only :mod:`losscli.cli` catches them, prints the message
as one line on stderr and maps it to an exit status. Stdlib only.
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
    """A file or its content cannot be used (missing, unreadable, bad column, bad value)."""


class LossInputError(LossCliError, ValueError):
    """Arrays handed to the loss library are invalid (length, NaN, range, labels, weights).

    A ``ValueError`` too, so library users can catch it the usual way.
    """


class LossWarning(UserWarning):
    """Something worth knowing that does not stop the computation
    (e.g. probability rows that do not sum to 1)."""
