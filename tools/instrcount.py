"""Count the machine instructions the compiled core spends per VM instruction (cachegrind).

    python tools/instrcount.py [--steps 2000000] [--workloads ancestor,classic,ecology]
                               [--snapshots DIR] [--annotate] [--json]

Wall-clock timings on a shared virtual machine move by 2x within minutes; instruction counts
do not. For each bench workload (bytebiota/bench.py) this builds its start snapshot once (in
``--snapshots``, reused when present, so two builds can be compared from the same bytes),
then runs, under ``valgrind --tool=cachegrind``, one process that restores the snapshot and
runs ``--steps`` VM instructions and one that restores it and runs 0. The figure is

    (I refs of the N-instruction run - I refs of the 0-instruction run) / N

machine instructions per VM instruction: start-up, imports and the restore cancel out. Both
processes run with PYTHONHASHSEED=0 and BYTEBIOTA_CORE=compiled, so the figure is exact and
repeatable (the same build gives the same count to the last instruction).

``--annotate`` also prints, for each workload, cg_annotate's per-function totals and the
per-line counts of the generated C of ``vm.run_slice`` (and of any other core function that
costs more than 1 %) from the N-instruction run: where the instructions go. The generated C
is build/bytebiota/core/__native__native.c, left by ``make install``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED_DIR = ROOT / "build"
# One line: cachegrind writes the command line into its output file, one line per line.
RUNNER = (
    "import sys; from pathlib import Path; from bytebiota import core; "
    "from bytebiota.core.world import restore; "
    "assert core.COMPILED, 'no compiled core'; "
    "w = restore(Path(sys.argv[1]).read_bytes()); w.run(int(sys.argv[2])); print(w.digest())"
)


def snapshots(directory: Path, names: list[str]) -> dict[str, Path]:
    """Each workload's start snapshot in ``directory`` (built if missing)."""
    from bytebiota import bench

    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for workload in bench.WORKLOADS:
        if workload.name not in names:
            continue
        path = directory / f"{workload.name}.world"
        if not path.exists():
            built = bench.prepare(workload, directory)
            assert built == path
        out[workload.name] = path
    return out


def cachegrind(snapshot: Path, steps: int, out_file: Path) -> tuple[int, str]:
    """I refs of one process that restores ``snapshot`` and runs ``steps``; its digest."""
    env = dict(os.environ, PYTHONHASHSEED="0", BYTEBIOTA_CORE="compiled")
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no",
         f"--cachegrind-out-file={out_file}",
         sys.executable, "-c", RUNNER, str(snapshot), str(steps)],
        env=env, capture_output=True, text=True, check=False, cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"instrcount: valgrind run failed:\n{result.stderr[-2000:]}")
    match = re.search(r"^summary:\s+(\d+)", out_file.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"instrcount: no summary line in {out_file}")
    return int(match.group(1)), result.stdout.strip()


def annotate(out_file: Path, context: int) -> str:
    """cg_annotate's report of ``out_file``, with the generated C annotated line by line."""
    result = subprocess.run(
        ["cg_annotate", "--auto=yes", "--show-percs=no", "--threshold=0.5",
         f"--context={context}", f"-I{GENERATED_DIR}", f"-I{ROOT}", str(out_file)],
        capture_output=True, text=True, check=False,
    )
    return result.stdout + result.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2_000_000)
    parser.add_argument("--workloads", default="ancestor,classic,ecology")
    parser.add_argument("--snapshots", type=Path, default=ROOT / "build" / "instrcount",
                        help="where the start snapshots are kept (reused when present)")
    parser.add_argument("--annotate", action="store_true",
                        help="print cg_annotate's per-function and per-line counts")
    parser.add_argument("--context", type=int, default=2, help="cg_annotate's context lines")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the cachegrind output files in this directory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    names = [n for n in args.workloads.split(",") if n]
    snaps = snapshots(args.snapshots, names)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="instrcount-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name in names:
            full_file = work / f"cachegrind.{name}.{args.steps}"
            zero_file = work / f"cachegrind.{name}.0"
            full, digest = cachegrind(snaps[name], args.steps, full_file)
            zero, _ = cachegrind(snaps[name], 0, zero_file)
            per = (full - zero) / args.steps
            results[name] = {"steps": args.steps, "irefs": full, "irefs_zero": zero,
                             "per_instruction": round(per, 2), "digest": digest}
            if not args.json:
                print(f"{name:<10} {per:8.2f} machine instructions per VM instruction "
                      f"({full:,} - {zero:,} over {args.steps:,}; digest {digest[:16]})",
                      flush=True)
            if args.annotate:
                print(annotate(full_file, args.context), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
