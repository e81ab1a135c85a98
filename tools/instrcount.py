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

``--annotate`` also prints, for each workload, where the instructions went, net of the
0-instruction run: cg_annotate's per-function totals (of ``cg_diff``'s difference) and the
generated C of the costliest core functions (``--functions``: ``vm.run_slice``,
``templates.search``, ...) line by line, in machine instructions per VM instruction. The generated C
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
GENERATED = ROOT / "build" / "bytebiota" / "core" / "__native__native.c"
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


def per_line(out_file: Path) -> dict[str, dict[int, int]]:
    """Counts per (function, line) of the generated C, from a cachegrind output file."""
    found: dict[str, dict[int, int]] = {}
    in_generated = False
    lines: dict[int, int] = {}
    for row in out_file.read_text().splitlines():
        if row.startswith("fl="):
            in_generated = row[3:].endswith(GENERATED.name)
        elif row.startswith("fn="):
            lines = found.setdefault(row[3:], {}) if in_generated else {}
        elif in_generated and row[:1].isdigit():
            number, count = row.split()[:2]
            lines[int(number)] = lines.get(int(number), 0) + int(count)
    return found


def annotate(full_file: Path, zero_file: Path, steps: int, functions: int) -> str:
    """Where the instructions of the N-instruction run went, net of the 0-instruction run:
    cg_annotate's per-function totals (of cg_diff's difference), then the generated C of the
    costliest core functions line by line (machine instructions per VM instruction)."""
    diff_file = full_file.with_suffix(".diff")
    with diff_file.open("w") as out:
        subprocess.run(["cg_diff", str(zero_file), str(full_file)], stdout=out,
                       stderr=subprocess.DEVNULL, check=False)
    summary = subprocess.run(
        ["cg_annotate", "--auto=no", "--show-percs=no", "--threshold=0.5", str(diff_file)],
        capture_output=True, text=True, check=False,
    ).stdout
    keep = summary[summary.find("Ir  "):] if "Ir  " in summary else summary
    out_lines = [keep.rstrip(), ""]
    source = GENERATED.read_text().splitlines() if GENERATED.exists() else []
    full = per_line(full_file)
    zero = per_line(zero_file)
    net = {name: {n: c - zero.get(name, {}).get(n, 0) for n, c in lines.items()}
           for name, lines in full.items()}
    ranked = sorted(net.items(), key=lambda item: -sum(item[1].values()))
    for name, lines in ranked[:functions]:
        total = sum(lines.values())
        out_lines.append(f"== {name}: {total / steps:.2f} per VM instruction")
        for number in sorted(lines):
            per = lines[number] / steps
            if per < 0.05:
                continue
            text = source[number - 1].strip() if 0 < number <= len(source) else "?"
            out_lines.append(f"{per:8.2f}  {number:>6}  {text[:110]}")
        out_lines.append("")
    return "\n".join(out_lines)

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2_000_000)
    parser.add_argument("--workloads", default="ancestor,classic,ecology")
    parser.add_argument("--snapshots", type=Path, default=ROOT / "build" / "instrcount",
                        help="where the start snapshots are kept (reused when present)")
    parser.add_argument("--annotate", action="store_true",
                        help="print cg_annotate's per-function and per-line counts")
    parser.add_argument("--functions", type=int, default=4,
                        help="how many of the costliest core functions --annotate shows")
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
                print(annotate(full_file, zero_file, args.steps, args.functions), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
