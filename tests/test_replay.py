"""`bytebiota replay`: summary, verification, damaged and foreign files; the state reducer."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bytebiota.replay import reduce, summary
from tests.conftest import Cli

RUN = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
       "--set", "LOG_INTERVAL_SLICES=500", "--seed", "2", "--max-steps", "300000")


@pytest.fixture
def journal(cli: Cli, tmp_path: Path) -> Path:
    result = cli(*RUN)
    assert result.returncode == 0, result.stderr
    return tmp_path / "data" / "runs" / "latest" / "journal.jsonl"


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_summary_matches_the_last_stats_event(cli: Cli, journal: Path) -> None:
    last = [e for e in _events(journal) if e["event"] == "stats"][-1]
    result = cli("replay", str(journal), "--summary")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"final step     {last['step']:,}" in out
    assert f"population     {last['population']:,}" in out
    assert f"genotypes      {last['genotypes']:,}" in out
    sizes = sorted(last["sizes"], key=lambda x: (-x[1], x[0]))
    size, cells = sizes[0]
    assert f"{size:>6}: {cells:>6}" in out


def test_verify_passes_on_an_untouched_journal(cli: Cli, journal: Path) -> None:
    result = cli("replay", str(journal), "--verify")
    assert result.returncode == 0, result.stderr
    stats = [e for e in _events(journal) if e["event"] in ("stats", "end")]
    assert f"verified: {len(stats)} digests match" in result.stdout


def test_verify_names_the_first_divergent_step(cli: Cli, journal: Path, tmp_path: Path) -> None:
    events = _events(journal)
    stats = [e for e in events if e["event"] == "stats"]
    target = stats[2]
    target["population"] = int(target["population"]) + 1
    target["digest"] = "0" * 64
    tampered = tmp_path / "t.jsonl"
    tampered.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = cli("replay", str(tampered), "--verify")
    assert result.returncode == 1
    assert f"diverges at step {int(target['step']):,}" in result.stderr


def test_a_cut_off_journal_replays_its_whole_events_but_does_not_verify(
        cli: Cli, journal: Path, tmp_path: Path) -> None:
    """Playing a crashed run's journal shows what it has; verifying it would vouch for a
    damaged file (issue 14, case 3): exit 1, naming the line."""
    text = journal.read_text()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - 40])
    result = cli("replay", str(cut), "--summary")
    assert result.returncode == 0
    assert "last line is cut off" in result.stderr
    result = cli("replay", str(cut), "--verify")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "the last line is cut off" in result.stderr


@pytest.mark.parametrize("damage", ["garbage", "second header", "steps go back"])
def test_verify_fails_on_a_journal_with_garbage_or_two_runs_in_it(
        cli: Cli, journal: Path, tmp_path: Path, damage: str) -> None:
    lines = journal.read_text().splitlines(keepends=True)
    middle = len(lines) // 2
    if damage == "garbage":
        lines.insert(middle, '{"event":"stats","step":1\x00\n')
    elif damage == "second header":
        lines.insert(middle, lines[0])
    else:
        lines.insert(middle, next(line for line in lines if '"stats"' in line))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines))
    result = cli("replay", str(bad), "--verify")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["hello\n", '{"a": 1}\n', '{"event": "stats"}\n', ""])
def test_a_file_that_is_not_a_journal_is_refused(cli: Cli, tmp_path: Path,
                                                 content: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(content)
    result = cli("replay", str(path), "--summary")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert cli("replay", "missing.jsonl").returncode == 2


def test_reducer_tracks_intervals_and_stops(journal: Path) -> None:
    events = _events(journal)
    state = reduce(events)
    stats = [e for e in events if e["event"] == "stats"]
    assert state.step == stats[-1]["step"] and state.ended
    assert sum(s.births for s in state.history) == stats[-1]["births"]
    early = reduce(events, int(stats[1]["step"]))
    assert early.step == stats[1]["step"] and not early.ended
    assert "0080aaa" in summary(state)


def test_plot_writes_png_charts(cli: Cli, journal: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = cli("replay", str(journal), "--plot", "charts")
    assert result.returncode == 0, result.stderr
    names = sorted(Path(line).name for line in result.stdout.split())
    assert names == ["births_deaths.png", "muller.png", "mutations.png", "phylogeny.png",
                     "population.png", "sizes_heatmap.png"]
    for name in names:
        data = (tmp_path / "charts" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_plot_without_matplotlib_says_how_to_install_it(journal: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    script = ("import sys; sys.modules['matplotlib'] = None; from bytebiota.cli import main; "
              f"raise SystemExit(main(['replay', {str(journal)!r}, '--plot', 'x']))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == ("bytebiota: error: plots need matplotlib: pip install "
                                     "'bytebiota[plot]' (make install does it)")


def test_playback_starts_at_the_beginning_unless_told_otherwise(journal: Path) -> None:
    """``replay JOURNAL`` plays the run from its start (issue 14, case 8); ``--from`` and
    ``--to`` choose a window. Playback is what the dashboard's path is given."""
    from bytebiota.replay import Playback

    events = _events(journal)
    stats = [e for e in events if e["event"] == "stats"]
    playback = Playback(events, 4.0, None, None)
    first = events.index(stats[0])  # the header and the ancestor's record: the start itself
    assert (playback.pos, playback.state.step, playback.state.ended) == (first, 0, False)
    assert playback.state.seed == events[0]["seed"]
    assert playback.step(0.25)  # one stats event per quarter second at speed 4
    assert playback.state.step == stats[0]["step"]
    while playback.step(0.25):
        pass
    assert playback.state.step == stats[-1]["step"] and playback.state.ended

    assert len(stats) >= 3
    window = Playback(events, 4.0, int(stats[1]["step"]), int(stats[1]["step"]))
    assert window.state.step == stats[0]["step"]  # everything before the window, applied
    while window.step(0.25):
        pass
    assert window.state.step == stats[1]["step"] and not window.state.ended


ECOLOGY_RUN = ("run", "--set", "SOUP_SIZE=300000", "--set", "ENV_LENGTH=256",
               "--set", "CONSOLE_SUMMARY=false", "--seed", "2", "--max-steps", "3000000")


def test_an_ecology_journal_gets_energy_resources_and_tasks(cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = cli(*ECOLOGY_RUN, timeout=300)
    assert result.returncode == 0, result.stderr
    journal = tmp_path / "data" / "runs" / "latest" / "journal.jsonl"
    last = [e for e in _events(journal) if e["event"] == "stats"][-1]
    text = cli("replay", str(journal), "--summary")
    assert text.returncode == 0, text.stderr
    assert f"energy         mean {last['energy']['mean']:,.1f}" in text.stdout, text.stdout
    assert f"resources      {last['resources']['total']:,.0f} in the field" in text.stdout
    assert "tasks          " in text.stdout and "deaths by      " in text.stdout
    result = cli("replay", str(journal), "--plot", "charts")
    assert result.returncode == 0, result.stderr
    names = {Path(line).name for line in result.stdout.split()}
    assert {"energy.png", "resources.png", "tasks.png", "muller.png",
            "phylogeny.png"} <= names, names
    for name in names:
        data = (tmp_path / "charts" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_a_picked_genotype_shows_its_descent_culture_and_code(journal: Path) -> None:
    from rich.console import Console

    from bytebiota.replay import Playback
    from bytebiota.tui.views import dashboard

    play = Playback(_events(journal), None, None, None)
    while play.step(0.01):
        pass
    assert play.key("down") == f"{play.state.top_genotypes[0][0]}: Enter for details"
    assert play.extras.selected == 0
    name = play.state.top_genotypes[0][0]
    assert play.key("\r") == f"{name}: Enter closes"
    lines = play.extras.detail
    assert lines[0].startswith(f"{name}: ") and lines[1].startswith(f"descent: {name}")
    if name == "0080aaa":  # the ancestor: recorded, so its genome and culture are known
        assert lines[2].startswith("alone: replicates") and lines[3].startswith("code: nop_1")
    console = Console(width=100, height=30, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(dashboard(play.state, play.extras, 100, 30), height=30)
    assert "genotype (Enter closes)" in console.export_text()
    assert play.key("\r") == "details closed" and play.extras.detail == []
