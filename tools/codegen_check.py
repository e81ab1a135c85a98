"""Read the C that mypyc generated for the core's hot functions and count what costs there.

    python tools/codegen_check.py [--c build/bytebiota/core/__native__native.c]

Counts, in each function of ``HOT`` (the instruction loop, the template search, the
scheduler, and what runs per slice, per MAL or per reaping): generic attribute lookups and
method calls through a vtable (``CPY_GET_ATTR``, ``CPY_GET_METHOD``, ``PyObject_GetAttr``);
"is this attribute defined?" checks (mypyc emits them for attributes it cannot prove are
assigned in ``__init__``: an ``AttributeError`` with "undefined", or ``CPy_AttributeError``);
arbitrary-precision integer operations (``CPyTagged_*``) and integers boxed as Python objects
(``PyLong_FromLongLong``). The last two come from a conditional expression that mixes an
``i64`` with a literal (its value is a Python int, even assigned to an ``i64`` local), a
``for _ in range(n)`` (its variable is boxed at every turn) or a tuple of literals. All must
be 0 (tests/test_codegen.py); docs/performance.md explains why.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "build" / "bytebiota" / "core" / "__native__native.c"
HOT = (
    "CPyDef_vm___run_slice",
    "CPyDef_templates___search",
    "CPyDef_world___World___run",
    "CPyDef_slicer___Slicer___draw",
    "CPyDef_life___mal",
    "CPyDef_reaper___ReaperQueue___on_error",
    "CPyDef_reaper___ReaperQueue___on_success",
    "CPyDef_mutation___Mutation___copy_flip",
    "CPyDef_mutation___Mutation___flaw",
    "CPyDef_energy___Ledger___settle_rent",
    "CPyDef_energy___Ledger___merit_slice",  # per slice under TASK_REWARD_RULE=merit
    "CPyDef_energy___Ledger___too_old",  # per slice end with an AGE_LIMIT
    "CPyDef_mutation___Mutation___mutate",  # per copy or background mutation
    "CPyDef_memory___Memory___alloc",
    "CPyDef_memory___Memory___alloc_best",
    "CPyDef_memory___Memory___claim",
    "CPyDef_memory___Memory___free",
)
GENERIC = ("CPY_GET_ATTR", "CPY_GET_METHOD", "PyObject_GetAttr")


def function_source(c_source: str, name: str) -> str:
    """The body of the C function ``name`` (its definition, not its prototype)."""
    match = re.search(rf"^\w[\w \*]*\b{name}\(.*\)\s*{{\s*$", c_source, re.MULTILINE)
    if match is None:
        raise LookupError(f"{name} is not defined in the generated C")
    end = c_source.index("\n}\n", match.end())
    return c_source[match.start() : end + 2]


def counts(body: str) -> dict[str, int]:
    definedness = len(re.findall(r"undefined\"\)|CPy_AttributeError\(", body))
    return {
        "lines": body.count("\n"),
        "generic_lookups": sum(body.count(token) for token in GENERIC),
        "definedness_checks": definedness,
        "python_int_ops": body.count("CPyTagged_"),
        "boxed_ints": body.count("PyLong_FromLongLong"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=Path, default=GENERATED, help="the generated C file")
    args = parser.parse_args(argv)
    try:
        text = args.c.read_text()
    except OSError as exc:
        print(f"codegen_check: cannot read {args.c}: {exc.strerror} (run `make install`)",
              file=sys.stderr)
        return 1
    clean = True
    for name in HOT:
        found = counts(function_source(text, name))
        print(name.removeprefix("CPyDef_"), " ".join(f"{k}={v}" for k, v in found.items()))
        clean = clean and all(v == 0 for k, v in found.items() if k != "lines")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
