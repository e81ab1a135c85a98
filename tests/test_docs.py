"""Generated documents are current: `make docs` regenerates them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bytebiota.docgen import DOCUMENTS
from tests.conftest import REPO


@pytest.mark.parametrize("relative", sorted(DOCUMENTS))
def test_generated_document_is_current(relative: str) -> None:
    committed = (REPO / relative).read_text()
    assert committed == DOCUMENTS[relative](), f"{relative} is stale: run `make docs`"


DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_documents_stand_alone(document: Path) -> None:
    """A user's clone has the repository only: no document points outside it."""
    text = document.read_text()
    assert "../shared" not in text, f"{document.name} points outside the repository"
    for target in re.findall(r"\]\(([^)#]+)", text):
        if "://" in target:
            continue
        assert (document.parent / target).resolve().is_relative_to(REPO), target
        assert (document.parent / target).exists(), f"{document.name}: {target} is missing"
