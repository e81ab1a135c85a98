"""A dishonest worker, for tests only (never installed, no flag of the product turns it on).

It is the real worker with one method overridden: the REPORT of each of its own batches is
falsified (its re-runs of other workers' batches stay honest, so only its own work is wrong).

    python tests/cheater.py births|digest     (configured like `bytebiota worker`, from the
                                               environment: SERVER_URL, WORKER_ID, ...)

- ``births``: one birth more than the batch had: caught when a span it produced is re-run;
- ``digest``: a digest that is not its world's: its next snapshot contradicts it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bytebiota.config import load
from bytebiota.netcommon import find_token
from bytebiota.protocol.messages import Message, make
from bytebiota.worker.client import Lease, Outcome, Worker

MODES = ("births", "digest")


class Cheater(Worker):
    mode = "births"

    def report_message(self, lease: Lease, outcome: Outcome, consumed: list[int]) -> Message:
        honest = super().report_message(lease, outcome, consumed)
        fields = dict(honest.fields)
        if self.mode == "births":
            fields["births"] += 1
        else:
            fields["digest"] = bytes(b ^ 0xFF for b in fields["digest"])
        return make("REPORT", **fields)


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
