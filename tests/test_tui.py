"""The dashboard: views rendered into a recording console, and the real thing under tmux."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bytebiota.replay import Playback
from bytebiota.tui.model import State
from bytebiota.tui.views import Extras, dashboard, health, sparkline
from tests.conftest import wait_until

HEADER: dict[str, Any] = {"event": "header", "seed": 7, "regime": "classic", "core": "compiled",
          "config": {"MAX_STEPS": 1_000_000, "SOUP_SIZE": 60_000, "COPY_BIT_FLIP_RATE": 0.001}}


def stats(step: int, population: int, births: int, deaths: int) -> dict[str, Any]:
    return {
        "event": "stats", "step": step, "population": population, "genotypes": 12,
        "sizes": [[45, 30], [80, population - 30]], "births": births, "deaths": deaths,
        "mutations": {"background": 5, "copy": 3, "flaw": 1, "insertion": 0, "deletion": 0},
        "top": ["0080aaa", population - 40],
        "top_genotypes": [["0080aaa", 80, population - 40, "0666god"],
                          ["0045aaa", 45, 30, "0080aaa"]],
        "digest": "ab" * 32,
    }


def constructed() -> State:
    state = State()
    for event in (HEADER, stats(100_000, 300, 400, 100), stats(250_000, 352, 900, 548)):
        state.apply(event)
    return state


def render(state: State, extras: Extras, width: int, height: int) -> str:
    console = Console(width=width, height=height, record=True, color_system=None,
                      file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(dashboard(state, extras, width, height), height=height)
    return console.export_text()


def test_the_dashboard_fits_80x24_and_shows_the_numbers() -> None:
    text = render(constructed(), Extras(rate=42.5e6, eta_seconds=90), 80, 24)
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "seed 7" in lines[0] and "classic" in lines[0]
    assert "step 250,000 / 1,000,000 (25.0 %)" in text and "42.5M instr/s" in text
    assert "ETA 1m30s" in text
    for fragment in ("cells", "352", "births/int", "500", "deaths/int", "448",
                     "0080aaa", "0045aaa", "0666god", "background", "genome sizes"):
        assert fragment in text, fragment
    assert "45 30" in text.replace("│", " ").replace("  ", " ")


def test_a_larger_terminal_gets_more_room() -> None:
    small = render(constructed(), Extras(), 80, 24)
    large = render(constructed(), Extras(), 160, 50)
    assert len(large.splitlines()) > len(small.splitlines())
    assert max(len(line) for line in large.splitlines()) > 100


def test_pause_and_messages_show() -> None:
    text = render(constructed(), Extras(paused=True, message="saved run-1.ckpt"), 80, 24)
    assert "PAUSED" in text and "saved run-1.ckpt" in text


def test_sparkline_scales_to_its_maximum() -> None:
    assert sparkline([0, 4, 8], 3) == " ▄█"
    assert sparkline([1, 2], 5) == "   ▄█"
    assert sparkline([], 3) == "   "


def test_health_signs_are_the_journals() -> None:
    state = constructed()
    assert state.health is not None and state.health["signs"] == []
    # classic, by Tierra's expectations: 12 genotypes, 30 parasites of 45 bytes beside the
    # 80-byte ancestor; a soup 45 % full is no fault of a Tierra run
    assert health(state) == [("ok", "healthy: turnover, diversity, parasites")]
    crashed = constructed()
    for step in range(5):
        crashed.apply(stats(300_000 + step, 35 if step == 4 else 300, 1000 + step, 700 + step))
    assert ("bad", "population crash: population 35 after a peak of 352 (a crash: below 50 "
            "after 50 or more)") in health(crashed)
    assert health(State()) == [("ok", "no data yet")]


def ecology_stats(step: int, population: int, births: int, deaths: int) -> dict[str, Any]:
    return {**stats(step, population, births, deaths),
            "tasks": {"NOT": 0, "NAND": population // 2, "AND": 0, "ORN": 3, "OR": 0,
                      "ANDN": 0, "NOR": 0, "XOR": 0, "EQU": 0},
            "energy": {"mean": 150.5, "total": 150.5 * population, "broke": 0},
            "resources": {"total": 9000.0, "strip": [10.0 * (k % 6) for k in range(32)]}}


def test_the_ecology_panel_shows_energy_field_and_tasks() -> None:
    state = State()
    for event in ({**HEADER, "regime": "ecology",
                   "config": {"COPY_BIT_FLIP_RATE": 0.01, "SOUP_SIZE": 5_000_000}},
                  ecology_stats(100_000, 300, 400, 100), ecology_stats(250_000, 352, 900, 548)):
        state.apply(event)
    text = render(state, Extras(), 80, 24)
    assert len(text.splitlines()) <= 24 and max(len(line) for line in text.splitlines()) <= 80
    for fragment in ("energy, field, tasks", "150.5", "NAND 50%", "ORN 1%",
                     "outside: diversity"):
        assert fragment in text, fragment
    assert "background" not in text  # the ecology panel takes the totals' place


def test_playback_plays_pauses_and_seeks() -> None:
    events = [HEADER] + [stats(10_000 * k, 300 + k, 100 * k, 90 * k) for k in range(1, 41)]
    play = Playback(events, None, None, None)
    while play.step(0.01):
        pass
    assert play.state.step == 400_000
    play.key("left")
    assert play.state.step == 300_000
    play.key("right")
    assert play.state.step == 400_000
    assert play.key("p") == "paused: p to go on" and play.extras.paused
    clipped = Playback(events, None, 150_000, 200_000)
    assert clipped.state.step == 140_000
    while clipped.step(0.01):
        pass
    assert clipped.state.step == 200_000


TMUX = shutil.which("tmux")


def capture(session: str) -> str:
    """The tmux pane's screen."""
    return subprocess.run([str(TMUX), "capture-pane", "-p", "-t", session],
                          capture_output=True, text=True, check=True).stdout


def shows(session: str, fragment: str, timeout: float = 60.0) -> str:
    """The screen once ``fragment`` is on it (waited for with a deadline)."""
    found = [""]

    def shown() -> bool:
        found[0] = capture(session)
        return fragment in found[0]

    wait_until(shown, f"{fragment!r} on the screen", timeout=timeout, pause=0.5)
    return found[0]


def run_in_tmux(tmp_path: Path, *flags: str) -> str:
    """``bytebiota run --regime classic --seed 1 FLAGS`` in a new 80x24 tmux session (its
    exit status lands in tmp_path/exit); the session's name."""
    session = f"bb{time.monotonic_ns()}"
    command = (f"cd {tmp_path} && {sys.executable} -m bytebiota run --regime classic --seed 1 "
               f"{' '.join(flags)}; echo EXIT=$? > {tmp_path}/exit; sleep 60")
    subprocess.run([str(TMUX), "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                    command], check=True)
    return session


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_run_shows_the_dashboard_in_a_real_terminal_and_q_quits(tmp_path: Path) -> None:
    tmux = str(TMUX)
    session = run_in_tmux(tmp_path)
    try:
        screen = shows(session, "population and health")
        assert "ByteBiota run" in screen and "top genotypes" in screen
        subprocess.run([tmux, "send-keys", "-t", session, "?"], check=True)
        screen = shows(session, "keys (? closes)")
        for fragment in ("q  quit", "p  pause", "s  save", "m  map", "↑/↓  pick", "⏎  details",
                         "?  keys", "space  pause"):
            assert fragment in screen, screen
        subprocess.run([tmux, "send-keys", "-t", session, "?"], check=True)  # closes it
        # the soup map and the genotypes come with the first stats interval (seconds, on the
        # pure core)
        wait_until(lambda: "no data yet" not in capture(session), "the first stats interval")
        subprocess.run([tmux, "send-keys", "-t", session, "m"], check=True)
        screen = shows(session, "soup map: genotypes")
        assert "% occupied" in screen and "█" in screen.split("soup map")[1], screen
        # pick the first of the top genotypes and read its details
        subprocess.run([tmux, "send-keys", "-t", session, "Down"], check=True)
        shows(session, "Enter for details")
        subprocess.run([tmux, "send-keys", "-t", session, "Enter"], check=True)
        screen = shows(session, "genotype (Enter closes)")
        assert "descent: " in screen and "alone: " in screen, screen
        subprocess.run([tmux, "send-keys", "-t", session, "q"], check=True)
        wait_until((tmp_path / "exit").exists, "the run's end")
        assert (tmp_path / "exit").read_text().strip() == "EXIT=0"
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], check=False)
    journal = tmp_path / "data" / "runs" / "latest" / "journal.jsonl"
    last = json.loads(journal.read_text().splitlines()[-1])
    assert last["event"] == "end"
    assert list((tmp_path / "data" / "runs" / "latest").glob("run-*.ckpt"))


def test_the_monitor_view_shows_workers_and_islands() -> None:
    state = State()
    state.apply_status({
        "server": {"seed": 9, "core": "compiled"},
        "stats": {"step": 5_000_000, "population": 700, "genotypes": 40,
                  "sizes": [[45, 300], [80, 400]], "births": 900, "deaths": 200,
                  "mutations": {"background": 4}},
        "workers": [{"id": "lab-pc-1", "host": "lab1", "islands": [0, 2], "last_seen_s": 0.4,
                     "instructions_per_s": 81_500_000, "state": "computing"}],
        "islands": [{"id": 0, "worker": "lab-pc-1", "population": 350, "epoch": 3,
                     "steps": 2_500_000, "snapshot_age_s": 12.0},
                    {"id": 1, "worker": None, "population": 0, "epoch": 1, "steps": 0,
                     "snapshot_age_s": None}],
    })
    text = render(state, Extras(label="monitor", keys="q quit"), 140, 35)
    for fragment in ("ByteBiota monitor", "seed 9", "workers (1)", "lab-pc-1", "0,2", "81.5M",
                     "computing",
                     "islands (2)", "2.5M", "12s", "700", "genome sizes"):
        assert fragment in text, fragment


ECOLOGY_STATUS: dict[str, Any] = {
    "server": {"seed": 9, "core": "compiled"},
    "stats": {"step": 5_000_000, "population": 700, "genotypes": 40, "islands": 2,
              "sizes": [[97, 700]], "births": 900, "deaths": 200, "mutations": {},
              "top_genotypes": [["1/0097aab", 97, 400, "1/0097aaa"],
                                ["0/0097aaa", 97, 300, "0/0666god"]],
              "tasks": {"NOT": 70, "NAND": 350}, "energy": {"mean": 12.5, "total": 8750.0,
                                                        "broke": 3},
              "resources": {"total": 5e5, "strip": [1.0, 9.0, 4.0]},
              "task_events": {"NOT": 80, "NAND": 900}, "deaths_by": {"starved": 5},
              "spawned": 2},
    "health": {"step": 5_000_000, "regime": "ecology",
               "indicators": {"population_stable": True, "diversity": False},
               "signs": [], "measures": {"diversity": "0.06 genotypes per cell (wanted above "
                                                      "0.5)"}, "advice": []},
    "soup": {"segments": 4, "names": ["0097aab"], "runs": [[0, 2], [-1, 2]], "held": [8, 4, 0, 0],
             "energy": [40, 2, 0, 0], "island": 1, "occupancy": 0.4},
    "workers": [{"id": "w1", "host": "lab1", "islands": [0, 1], "last_seen_s": 0.4,
                 "instructions_per_s": 1_000_000, "state": "computing"}],
    "islands": [{"id": 0, "worker": "w1", "population": 300, "epoch": 1, "steps": 2_500_000,
                 "snapshot_age_s": 1.0},
                {"id": 1, "worker": "w1", "population": 400, "epoch": 1, "steps": 2_500_000,
                 "snapshot_age_s": 1.0}],
}


def test_the_monitor_shows_the_islands_ecology_health_soup_and_genotypes() -> None:
    """Issue 18: distributed ecology is visible: the server's summed figures fill the same
    ecology panel and health lines as `run`; `i` shows an island's soup map, `g` the top
    genotypes of all islands."""
    from bytebiota.status import MonitorProducer

    producer = MonitorProducer("127.0.0.1", 1, "t")
    producer.state.apply_status(ECOLOGY_STATUS)
    state, extras = producer.state, producer.extras
    text = render(state, extras, 120, 30)
    for fragment in ("energy, field, tasks", "12.5", "NAND 50%", "NOT 10%",
                     "outside: diversity: 0.06 genotypes per cell"):
        assert fragment in text, (fragment, text)
    assert producer.key("i") == "soup map of island 1" and producer.island == 1
    text = render(state, extras, 120, 30)
    assert "soup map of island 1: genotypes, 40% occupied" in text, text
    assert producer.key("m") == "soup map: size classes"
    assert producer.key("m") == "soup map: energy"
    assert "soup map of island 1: energy 0..40, 40% occupied" in render(state, extras, 120, 30)
    assert producer.key("i") == "soup map of island 0" and producer.island == 0
    assert producer.key("g") == "top genotypes of all islands (island/name)"
    text = render(state, extras, 120, 30)
    assert "top genotypes" in text and "1/0097aab" in text and "0/0666god" in text, text


def test_the_monitor_shows_a_hostile_peers_strings_escaped() -> None:
    """Issue 16, case 7: a host name with rich markup and an escape sequence neither breaks
    the monitor nor reaches the terminal as such."""
    state = State()
    state.apply_status({
        "server": {"seed": 9, "core": "compiled"},
        "stats": {"step": 1, "population": 1, "genotypes": 1, "sizes": [], "births": 0,
                  "deaths": 0, "mutations": {}},
        "workers": [{"id": "w1", "host": "[/][bold]x\x1b[2J", "islands": [0],
                     "last_seen_s": 0.4, "instructions_per_s": 1, "state": "computing"}],
        "islands": [{"id": 0, "worker": "w1", "population": 1, "epoch": 1, "steps": 1,
                     "snapshot_age_s": None}],
    })
    text = render(state, Extras(label="monitor", keys="q quit"), 140, 35)
    assert "[/][bold]x\\x1b[2J" in text and "\x1b[2J" not in text


def test_monitor_counts_births_per_interval_between_the_servers_changes() -> None:
    # the monitor polls several times a second; the server's totals move when a report
    # lands: polls that bring the same totals are not intervals with no births
    state = State()
    totals = {"step": 5_000_000, "population": 700, "genotypes": 40, "sizes": [[80, 700]],
              "births": 900, "deaths": 200}
    for _ in range(3):
        state.apply_status({"stats": totals})
    for _ in range(3):
        state.apply_status({"stats": {**totals, "step": 6_000_000, "births": 1500,
                                      "deaths": 640}})
    assert [(h.births, h.deaths) for h in state.history] == [(900, 200), (600, 440)]


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_monitor_says_when_the_server_is_unreachable_then_shows_it(tmp_path: Path) -> None:
    """The real monitor in tmux: unreachable, then a server and a worker appear; births per
    interval read non-zero while the totals grow (issue 18), `i` shows an island's soup map
    and `g` the top genotypes of all islands."""
    import socket as sockets

    tmux = str(TMUX)
    with sockets.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"SERVER_URL": f"127.0.0.1:{port}", "SERVER_PORT": str(port),
           "SERVER_HOST": "127.0.0.1", "SERVER_TOKEN": "t0ken", "REGIME": "classic",
           "ISLANDS": "2", "RESOURCE_PRESET": "full", "BATCH_SIZE": "5", "MIN_BATCH_SIZE": "1",
           "TARGET_INTERVAL_SECONDS": "1"}
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    session = f"mon{time.monotonic_ns()}"
    subprocess.run([tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "30",
                    f"cd {tmp_path} && {exports} {sys.executable} -m bytebiota monitor; "
                    "sleep 60"], check=True)
    processes: list[subprocess.Popen[bytes]] = []

    def figure(text: str, name: str) -> int:
        match = re.search(rf"{name}\s+([\d,]+)", text)
        return int(match.group(1).replace(",", "")) if match else -1

    try:
        shows(session, "unreachable", timeout=120)
        full_env = {**os.environ, **env}
        for args in (["server"], ["worker", "--worker-id", "w9", "--jobs", "1"]):
            processes.append(subprocess.Popen([sys.executable, "-m", "bytebiota", *args],
                                              cwd=tmp_path, env=full_env,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
        text = shows(session, "w9", timeout=120)
        assert "workers (1)" in text and "islands (2)" in text
        seen: list[tuple[int, int]] = []  # (step, births/int) of each new interval

        def growing_with_births() -> bool:
            now = capture(session)
            sample = (figure(now, "step"), figure(now, "births/int"))
            if not seen or sample[0] > seen[-1][0]:
                seen.append(sample)
            return len([b for _, b in seen[1:] if b > 0]) >= 3

        wait_until(growing_with_births, "three intervals with births on the monitor",
                   timeout=180, pause=0.5)
        subprocess.run([tmux, "send-keys", "-t", session, "i"], check=True)
        shows(session, "soup map of island", timeout=120)
        subprocess.run([tmux, "send-keys", "-t", session, "g"], check=True)
        text = shows(session, "top genotypes", timeout=120)
        assert re.search(r"\b[01]/00\d\d[a-z]{3}", text), text
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], check=False)
        for process in processes:
            process.kill()
            process.wait(timeout=10)


def test_size_classes_beyond_the_rows_say_how_many_more() -> None:
    state = constructed()
    state.apply({**stats(400_000, 970, 1500, 1100),
                 "sizes": [[20 + k, 10] for k in range(97)]})
    text = render(state, Extras(), 80, 24)
    shown = len(re.findall(r"│\s+\d+\s+10 █", text))
    assert shown >= 2, text
    assert re.search(rf"\+{97 - shown}\s+more \(97 in all\)", text), text


def test_population_panel_shows_generation_time_and_mutations_per_interval() -> None:
    state = constructed()  # 352 cells; 500 births and 9 mutations in the last 150,000 steps
    state.apply({**stats(400_000, 352, 1400, 1048),
                 "mutations": {"background": 9, "copy": 8, "flaw": 1, "insertion": 2,
                               "deletion": 0}})
    # generation time: cells x steps / births = 352 x 150,000 / 500 = 105,600 instructions
    text = render(state, Extras(), 80, 24)
    assert "gen time" in text and "105.6k" in text
    assert "mut/int" in text  # 20 - 9 = 11 mutations in the interval
    assert " 11 " in text.replace("│", " ")


def test_question_mark_shows_every_key() -> None:
    from bytebiota.tui.app import common_key

    extras = Extras()
    assert common_key(extras, "?") == "? closes the keys" and extras.help
    text = render(constructed(), extras, 80, 24)
    for key in ("keys (? closes)", "q  quit", "p  pause", "s  save", "?  keys",
                "space  pause"):
        assert key in text, text
    assert "top genotypes" not in text
    assert common_key(extras, "?") == "running"
    assert "top genotypes" in render(constructed(), extras, 80, 24)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_the_last_frame_at_max_steps_shows_the_last_interval(tmp_path: Path) -> None:
    tmux = str(TMUX)
    session = run_in_tmux(tmp_path, "--max-steps", "3000000")
    try:
        wait_until((tmp_path / "exit").exists, "the run's end")
        # the frame, and the lines printed after it, which scroll its top away
        screen = subprocess.run([tmux, "capture-pane", "-p", "-S", "-30", "-t", session],
                                capture_output=True, text=True, check=True).stdout
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], check=False)
    assert (tmp_path / "exit").read_text().strip() == "EXIT=0"
    journal = tmp_path / "data" / "runs" / "latest" / "journal.jsonl"
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    last, before = [e for e in events if e["event"] == "stats"][-1:-3:-1]
    assert last["step"] == 3_000_000
    assert "step 3,000,000 / 3,000,000 (100.0 %)" in screen, screen
    figures = {line.split("│")[1].split()[0]: line.split("│")[1].split()[1]
               for line in screen.splitlines() if line.count("│") >= 2 and "/int " in line}
    assert figures["births/int"] == f"{last['births'] - before['births']:,}", screen
    assert figures["deaths/int"] == f"{last['deaths'] - before['deaths']:,}", screen


def soup_stats(step: int) -> dict[str, Any]:
    # a 60,000-byte soup in 8 segments: the ancestor's, free, the parasite's, free ...
    return {**stats(step, 352, 900, 548),
            "soup": {"segments": 8, "names": ["0080aaa", "0045aaa"],
                     "runs": [[0, 3], [-1, 2], [1, 1], [-1, 2]]}}


def test_the_soup_map_shows_where_genotypes_live_and_the_occupancy() -> None:
    from bytebiota.tui.app import common_key

    state = constructed()
    state.apply(soup_stats(300_000))
    assert state.soup_cells() == ["0080aaa"] * 3 + [None] * 2 + ["0045aaa"] + [None] * 2
    extras = Extras()
    assert common_key(extras, "m") == "soup map: genotypes"
    text = render(state, extras, 80, 24)
    # 352 cells: 30 of 45 bytes and 322 of 80 = 27,110 bytes of 60,000
    assert "soup map: genotypes, 45% occupied" in text, text
    assert "genome sizes" not in text
    assert common_key(extras, "m") == "soup map: size classes"
    assert "soup map: size classes" in render(state, extras, 80, 24)
    assert common_key(extras, "m") == "genome sizes"
    assert "genome sizes" in render(state, extras, 80, 24)


def test_the_journal_soup_map_names_where_a_cell_lives() -> None:
    from bytebiota.config import isolated
    from bytebiota.observe import soup_map
    from bytebiota.simulation import new_world

    world = new_world(isolated(named_flags={"--regime": "classic"}), 1)  # one 80-byte cell
    found = soup_map(world)  # at address 0 of 60,000 bytes, in 512 stretches of 117 or 118
    assert found["names"] == ["0080aaa"] and found["runs"] == [[0, 1], [-1, 511]]
    assert found["held"] == [6] + [0] * 511  # 80 of 117 bytes: 6 eighths, rounded up
    world.run(3_000_000)
    found = soup_map(world)
    assert sum(n for _, n in found["runs"]) == 512 == len(found["held"])
    held = {k for k, n in enumerate(found["held"]) if n}
    assert len(held) > 100


def test_the_top_genotypes_show_their_ecotypes_once_the_run_classified_them() -> None:
    state = constructed()
    assert " eco " not in render(state, Extras(), 80, 24)  # no column before any verdict
    state.apply({"event": "ecotype", "step": 260_000, "name": "0045aaa", "kind": "parasite",
                 "evidence": {}, "instructions": 600_000})
    text = render(state, Extras(), 80, 24)
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    row = next(line for line in lines if "0045aaa" in line and "0080aaa" in line)
    assert row.split("│")[-2].split()[-1] == "para", row  # the parasite's row
    row = next(line for line in lines if line.count("0080aaa") == 1 and "0666god" in line)
    assert row.split("│")[-2].split()[-1] == "-", row  # the ancestor: not classified yet


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_replay_plays_a_journal_from_its_start_in_a_real_terminal(tmp_path: Path) -> None:
    """``replay JOURNAL`` (issue 18's acceptance): the first frame is the journal's start,
    not its end, with the header's seed and regime; at one stats event a hundred seconds,
    what shows is the start until a key moves it (→: ten stats events on), and q quits."""
    tmux = str(TMUX)
    events = [HEADER] + [stats(10_000 * k, 300 + k, 100 * k, 90 * k) for k in range(1, 41)]
    journal = tmp_path / "journal.jsonl"
    journal.write_text("".join(json.dumps(e) + "\n" for e in events))
    session = f"bb{time.monotonic_ns()}"
    command = (f"cd {tmp_path} && {sys.executable} -m bytebiota replay {journal} "
               f"--speed 0.01; echo EXIT=$? > {tmp_path}/exit; sleep 60")
    subprocess.run([tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                    command], check=True)

    try:
        screen = shows(session, "ByteBiota replay")
        assert "seed 7" in screen and "classic" in screen, screen  # the header, at once
        step = re.search(r"step ([\d,]+)", screen)
        assert step is not None, screen
        assert int(step.group(1).replace(",", "")) <= 10_000, screen  # the start
        assert "400,000" not in screen, screen  # not the end
        subprocess.run([tmux, "send-keys", "-t", session, "Right"], check=True)
        screen = shows(session, "step 100,000")
        subprocess.run([tmux, "send-keys", "-t", session, "q"], check=True)
        wait_until((tmp_path / "exit").exists, "replay's end")
        assert (tmp_path / "exit").read_text().strip() == "EXIT=0"
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], check=False)


def test_the_soup_map_colours_by_ecotype_once_there_are_some() -> None:
    from bytebiota.tui.app import common_key

    state = constructed()
    state.apply(soup_stats(300_000))
    extras = Extras()
    assert [common_key(extras, "m", state) for _ in range(3)] == [
        "soup map: genotypes", "soup map: size classes", "genome sizes"]
    state.apply({"event": "ecotype", "step": 300_000, "name": "0045aaa", "kind": "parasite",
                 "evidence": {}, "instructions": 200_000})
    assert [common_key(extras, "m", state) for _ in range(3)] == [
        "soup map: genotypes", "soup map: size classes", "soup map: ecotypes"]
    text = render(state, extras, 100, 24)
    assert "soup map: ecotypes (-, para), 45% occupied" in text, text
