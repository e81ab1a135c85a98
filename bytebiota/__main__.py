"""``python -m bytebiota``: the same as the ``bytebiota`` command."""

from bytebiota.cli import main

raise SystemExit(main())
