"""A dishonest worker, for tests only (never installed, no flag of the product turns it on).

It is the real worker with one method overridden: the REPORT of each of its own batches is
falsified (its re-runs of other workers' batches stay honest, so only its own work is wrong).

    python tests/cheater.py MODE      (configured like `bytebiota worker`, from the
                                       environment: SERVER_URL, WORKER_ID, ...)

- ``births``: one birth more than the batch had: caught when a span it produced is re-run;
- ``digest``: a digest that is not its world's: its next snapshot contradicts it;
- ``steps``: a thousand times the instructions it ran (no batch is that long);
- ``smart``: one birth more, and each lease given back right after its snapshot, so that its
  lies lie in spans of ended leases that others build on;
- ``votes``: honest about its own work, it contradicts every span it re-runs for others.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bytebiota.batches import Outcome
from bytebiota.config import load
from bytebiota.netcommon import Stream, find_token
from bytebiota.protocol.messages import Message, make
from bytebiota.worker.client import Lease, Worker

MODES = ("births", "digest", "steps", "smart", "votes")


class Cheater(Worker):
    mode = "births"

    def report_message(self, lease: Lease, outcome: Outcome, consumed: list[int]) -> Message:
        honest = super().report_message(lease, outcome, consumed)
        fields = dict(honest.fields)
        if self.mode in ("births", "smart"):
            fields["births"] += 1
        elif self.mode == "steps":
            fields["steps"] *= 1000
        elif self.mode == "digest":
            fields["digest"] = bytes(b ^ 0xFF for b in fields["digest"])
        return make("REPORT", **fields)

    def result_message(self, job: int, fingerprints: list[bytes]) -> Message:
        if self.mode == "votes":
            fingerprints = [bytes(b ^ 0x55 for b in f) for f in fingerprints] or [bytes(32)]
        return super().result_message(job, fingerprints)

    async def batch(self, stream: Stream | None, lease: Lease,
                    done: asyncio.Event | None) -> None:
        await super().batch(stream, lease, done)
        if self.mode == "smart" and lease.span == 0 and lease.island in self.leases and \
                stream is not None:
            await stream.send(make("RELEASE", island=lease.island, epoch=lease.epoch))
            self.leases.pop(lease.island, None)


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        print(f"usage: cheater.py {'|'.join(MODES)}", file=sys.stderr)
        return 2
    config = load()
    token = find_token(config.network.server_token, config.global_.data_base_dir)
    worker = Cheater(config, config.worker.worker_id or "cheater", token)
    worker.mode = sys.argv[1]
    try:
        asyncio.run(worker.main())
    except Exception as exc:  # the quarantine ends it: say why, as the CLI would
        print(f"cheater: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
