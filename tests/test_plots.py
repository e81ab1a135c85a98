"""`replay --plot`'s Muller plot and phylogeny: the lineages the journal records, nested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bytebiota.plots import GOD, lineages, muller, tree
from tests.conftest import Cli

# The ecology regime in a small soup: a dozen recorded genotypes within 8 M instructions
# (seconds on the pure core too).
RUN = ("run", "--set", "SOUP_SIZE=300000", "--set", "ENV_LENGTH=256", "--set",
       "CONSOLE_SUMMARY=false", "--set", "LOG_INTERVAL_SLICES=2000", "--seed", "2",
       "--max-steps", "8000000")


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    import subprocess
    import sys

    from tests.conftest import clean_environ

    where = tmp_path_factory.mktemp("plots")
    result = subprocess.run([sys.executable, "-m", "bytebiota", *RUN], cwd=where,
                            env=clean_environ(), capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    path = where / "data" / "runs" / "latest" / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_stats_events_count_every_cell_under_its_lineage(events: list[dict[str, Any]]) -> None:
    recorded: set[str] = set()
    stats = 0
    for event in events:
        if event["event"] == "genotype":
            recorded.add(event["name"])
        if event["event"] != "stats":
            continue
        stats += 1
        rows = event["lineages"]
        assert len(rows) <= 50
        assert sum(cells for _n, cells, _a in rows) == event["population"]  # < 50 lineages
        for name, cells, above in rows:
            assert cells > 0
            assert name in recorded or (name == GOD and above is None)
            assert above is None or above == GOD or above in recorded
    assert stats > 5 and len(recorded) > 5


def _inside(child: Any, parent: Any) -> bool:
    return all(pl - 1e-9 <= cl and cu <= pu + 1e-9 for cl, cu, pl, pu in
               zip(child.lower, child.upper, parent.lower, parent.upper, strict=True))


def test_the_muller_plot_nests_each_lineage_in_its_ancestors_and_attributes_every_cell(
        events: list[dict[str, Any]]) -> None:
    model = lineages(events)
    assert model.exact and max(model.unattributed()) == 0
    chart = muller(model)
    assert max(chart.unattributed) == 0
    bands = {band.name: band for band in chart.bands}
    assert len(bands) >= 3
    for band in chart.bands:
        if band.name == GOD:
            continue
        above = next(n for n in model.path(band.name)[1:] if n in bands)
        assert _inside(band, bands[above]), (band.name, above)
        assert chart.bands.index(bands[above]) < chart.bands.index(band)  # drawn over it
    # the bands fill the whole height: every cell is in some lineage's band
    assert all(abs(u - 1.0) < 1e-9 for u, p in zip(bands[GOD].upper, model.population,
                                                    strict=True) if p)
    # the genotype that ended up most common has a band of its own
    final = max(model.own, key=lambda n: model.own[n][-1])
    assert final in bands


def _old_journal() -> list[dict[str, Any]]:
    """A journal of an older version: only the top genotypes of each event. A (the
    ancestor); B from A through a transient T; C not recorded, from B."""
    genome = "01" * 80
    return [
        {"event": "header", "seed": 1, "regime": "classic"},
        {"event": "genotype", "name": "0080aaa", "parent": GOD, "step": 0, "genome": genome},
        {"event": "stats", "step": 10, "population": 100,
         "top_genotypes": [["0080aaa", 80, 90, GOD], ["0080aab", 80, 5, "0080aaa"]]},
        {"event": "genotype", "name": "0045aaa", "parent": "0080aab", "step": 15,
         "genome": "02" * 45},
        {"event": "stats", "step": 20, "population": 100,
         "top_genotypes": [["0080aaa", 80, 50, GOD], ["0045aaa", 45, 30, "0080aab"],
                           ["0045aab", 45, 10, "0045aaa"]]},
    ]


def test_an_old_journal_says_what_it_cannot_attribute() -> None:
    model = lineages(_old_journal())
    assert not model.exact
    assert model.ancestor["0045aaa"] == "0080aaa" and "0045aaa" in model.via
    assert model.own["0045aaa"] == [0, 40]  # its unrecorded child counted under it
    chart = muller(model)
    assert [round(u, 2) for u in chart.unattributed] == [0.05, 0.1]
    bands = {band.name: band for band in chart.bands}
    assert _inside(bands["0045aaa"], bands["0080aaa"])


def test_the_phylogeny_collapses_unrecorded_links_and_counts_what_it_hides(
        events: list[dict[str, Any]]) -> None:
    model = lineages(events)
    full = tree(model, count=1000)
    assert set(full.rows) == set(model.ancestor) and full.hidden == 0
    assert not model.inferred  # every link known: none guessed, no fan to the root
    assert full.rows[0] == next(e["name"] for e in events if e["event"] == "genotype")
    for name in full.rows[1:]:  # each below its ancestor
        assert full.rows.index(full.ancestor[name]) < full.rows.index(name)
    small = tree(model, count=3)
    assert len(small.rows) < len(full.rows)
    assert small.hidden == len(full.rows) - len(small.rows)
    for name in small.rows:  # the ancestors of what is shown are shown
        assert small.ancestor[name] == GOD or small.ancestor[name] in small.rows


def test_plot_writes_the_muller_plot_and_phylogeny(cli: Cli, events: list[dict[str, Any]],
                                                   tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    journal = tmp_path / "j.jsonl"
    journal.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = cli("replay", str(journal), "--plot", "charts")
    assert result.returncode == 0, result.stderr
    for name in ("muller.png", "phylogeny.png"):
        data = (tmp_path / "charts" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


@pytest.mark.filterwarnings("error")
def test_a_journal_whose_soup_died_at_once_still_plots(tmp_path: Path) -> None:
    """An extinct soup at the first stats event: every chart, no traceback (the size map's
    colour scale had no range) and no matplotlib warning on stderr."""
    pytest.importorskip("matplotlib")
    from bytebiota.plots import plot

    events = [{"event": "header", "seed": 1, "regime": "classic"},
              {"event": "stats", "step": 5, "population": 0, "genotypes": 0, "sizes": [],
               "births": 0, "deaths": 0, "mutations": {}, "lineages": []}]
    names = {p.name for p in plot(events, tmp_path / "charts")}
    assert {"sizes_heatmap.png", "muller.png", "phylogeny.png"} <= names
