"""Write the generated reference documents (docs/configuration.md, ...): ``make docs``."""

from __future__ import annotations

import sys
from pathlib import Path

from bytebiota.docgen import write_all


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    for path in write_all(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
