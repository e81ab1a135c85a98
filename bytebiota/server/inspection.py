"""Snapshots checked before the server commits them (and hands them to other workers), and
the server's own re-run of a disputed span.

A SNAPSHOT whose digest matches its sender's last report is self-consistent, yet it may still
be unrestorable (a lie, or a bug) or belong to another experiment; committed, it would stall
the island and crash every honest worker it is leased to. So the server first checks that it
opens with the experiment's own header (format and parameters: soup size, regime, rates, the
very bytes a fresh world of this experiment packs) and that the core restores it (in a
thread: a restore takes milliseconds, and the core bounds every allocation by the snapshot's
own length). A holder whose snapshot fails is treated as a cheater. The restored world's
permanent genotypes (with their parents) and lineages come back with the verdict: once the
snapshot is committed, the server classifies the new ones (bytebiota/ecotype.py) and
journals them and the lineages (server/phylogeny.py).

A dispute's re-run may take minutes of computing: it runs in a child process of its own
(``python -m bytebiota.server.inspection``, the span in JSON on its stdin, the fingerprints on
its stdout), so the event loop goes on answering heartbeats.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bytebiota.core.snapshot import header
from bytebiota.core.world import Params, SnapshotError, restore
from bytebiota.observe import lineage_counts


@dataclass
class Contents:
    """What the server learns of a sound snapshot's world."""

    permanent: list[tuple[str, bytes]] = field(default_factory=list)  # (name, genome)
    parents: dict[str, tuple[str, int]] = field(default_factory=dict)  # -> (parent, step)
    lineages: list[list[Any]] = field(default_factory=list)  # observe.lineage_counts
    population: int = 0


def _restorable(data: bytes) -> tuple[str | None, Contents]:
    try:
        world = restore(data)
    except SnapshotError as exc:
        return str(exc), Contents()
    except (MemoryError, ValueError, OverflowError, IndexError) as exc:  # (a damaged file)
        return f"it cannot be restored ({type(exc).__name__}: {exc})", Contents()
    if world.digest() != data[-32:].hex():
        return "its state does not hash to its checksum once restored", Contents()
    bank = world.genebank
    permanent = [gid for gid in range(len(bank.names)) if bank.permanent[gid] != 0]
    return None, Contents([(bank.names[gid], bytes(bank.genomes[gid])) for gid in permanent],
                          {bank.names[gid]: (bank.parents[gid], int(bank.origin[gid]))
                           for gid in permanent},
                          lineage_counts(world), int(world.population))


class Inspector:
    """Checks snapshots against the experiment's header, then restores them."""

    def __init__(self, params: Params) -> None:
        self.header = header(params)

    async def inspect(self, data: bytes) -> tuple[str | None, Contents]:
        """Why this snapshot must not be committed (None when it is sound), and what the
        world it holds contains."""
        if not data.startswith(self.header):
            return ("it is not a snapshot of this experiment (its format or parameters differ "
                    "from the experiment's)"), Contents()
        return await asyncio.get_running_loop().run_in_executor(None, _restorable, data)


async def rerun_in_child(values: Mapping[str, object], snapshot: bytes, seed: int,
                         founders: list[bytes], *, immigrants: list[bytes],
                         entered: list[int], steps: list[int]) -> list[bytes]:
    """``batches.rerun_for`` in a child process; RuntimeError naming what went wrong."""
    job = {"values": values, "snapshot": snapshot.hex(), "seed": seed,
           "founders": [g.hex() for g in founders], "immigrants": [g.hex() for g in immigrants],
           "entered": entered, "steps": steps}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bytebiota.server.inspection", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await child.communicate(json.dumps(job).encode())
    if child.returncode != 0:
        raise RuntimeError(f"the re-run exited with status {child.returncode}: "
                           f"{err.decode(errors='replace').strip()[-300:]}")
    return [bytes.fromhex(f) for f in json.loads(out)["fingerprints"]]


def main() -> None:
    from bytebiota import batches

    job = json.loads(sys.stdin.buffer.read())
    fingerprints = batches.rerun_for(
        job["values"], bytes.fromhex(job["snapshot"]), int(job["seed"]),
        [bytes.fromhex(g) for g in job["founders"]],
        immigrants=[bytes.fromhex(g) for g in job["immigrants"]],
        entered=[int(k) for k in job["entered"]], steps=[int(k) for k in job["steps"]])
    sys.stdout.write(json.dumps({"fingerprints": [f.hex() for f in fingerprints]}))


if __name__ == "__main__":
    main()
