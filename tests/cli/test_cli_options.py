"""Each option shape is defined once (issue 11): an option several commands take
(``--true``, ``--pred``, ``--format``, ``--output-file``, ``--fail-if``, ``--summary``,
``-o``, ``--precision``, ``--max-groups``, ``--task``) comes from
``losscli/cli/options.py``, so no flag is spelled in two command modules."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "losscli" / "cli"
FLAG = re.compile(r'"(--[a-z][a-z-]*)[/"]')


def test_no_flag_is_spelled_in_two_command_modules() -> None:
    where: dict[str, set[str]] = defaultdict(set)
    for path in sorted(CLI.glob("*_cmd.py")):
        for flag in FLAG.findall(path.read_text(encoding="utf-8")):
            where[flag].add(path.name)
    assert len(where) > 20  # (the pattern finds the flags)
    assert {flag: sorted(files) for flag, files in where.items() if len(files) > 1} == {}


def test_the_shared_options_are_the_same_in_every_command() -> None:
    import inspect

    from losscli.cli import (
        compare_cmd,
        evaluate_cmd,
        history_cmd,
        merge_cmd,
        recommend_cmd,
    )

    commands = {
        "evaluate": evaluate_cmd.evaluate_command,
        "compare": compare_cmd.compare_command,
        "merge": merge_cmd.merge_command,
        "history": history_cmd.history_command,
        "recommend": recommend_cmd.recommend_command,
    }
    shapes: dict[str, set[tuple[object, ...]]] = defaultdict(set)
    for command in commands.values():
        for param in inspect.signature(command).parameters.values():
            info = param.default
            for flag in getattr(info, "param_decls", None) or ():
                if flag in {"--output-file", "--precision", "--max-groups", "--summary"}:
                    shapes[flag].add((info.default, info.metavar, info.help))
    assert set(shapes) == {"--output-file", "--precision", "--max-groups", "--summary"}
    assert all(len(s) == 1 for s in shapes.values()), shapes
