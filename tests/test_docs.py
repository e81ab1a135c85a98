"""Generated documents are current: `make docs` regenerates them."""

from __future__ import annotations

import pytest

from bytebiota.docgen import DOCUMENTS
from tests.conftest import REPO


@pytest.mark.parametrize("relative", sorted(DOCUMENTS))
def test_generated_document_is_current(relative: str) -> None:
    committed = (REPO / relative).read_text()
    assert committed == DOCUMENTS[relative](), f"{relative} is stale: run `make docs`"
