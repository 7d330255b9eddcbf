"""Coverage-guided fuzzing of the C scanner with atheris (``make fuzz``).

    python tests/fuzz/fuzz_scanner.py [libFuzzer flags] CORPUS_DIR [SEED_DIR...]

With ``LOSSCLI_FUZZ_SO`` naming an extension built with ``-fsanitize=fuzzer-no-link``
(``make fuzz`` builds one with clang where clang is installed), that build is
loaded as ``losscli._fastcsv``, so libFuzzer sees the C code's edges; otherwise
the installed extension is fuzzed, guided by Python coverage only. The target
and its contract: ``scanner_target.py``.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path


def _load_instrumented() -> None:
    path = os.environ.get("LOSSCLI_FUZZ_SO")
    if not path:
        return
    import losscli

    loader = importlib.machinery.ExtensionFileLoader("losscli._fastcsv", path)
    spec = importlib.util.spec_from_file_location("losscli._fastcsv", path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules["losscli._fastcsv"] = module
    losscli._fastcsv = module  # type: ignore[attr-defined]


def main() -> None:
    import atheris

    _load_instrumented()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    with atheris.instrument_imports(include=["scanner_target", "losscli.io.scanner"]):
        import scanner_target

    atheris.Setup(sys.argv, scanner_target.check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
