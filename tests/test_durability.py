"""The server journal's durability: whole lines or none, group commit, a refusing disk."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from bytebiota.journal import Journal
from bytebiota.server.durability import Durability


def test_one_fsync_covers_every_record_written_before_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", append=False)
    logged: list[str] = []
    wal = Durability(journal, logged.append)

    async def session(k: int) -> bool:
        wal.write("report", seq=k)
        return await wal.commit()

    async def main() -> list[bool]:
        return await asyncio.gather(*(session(k) for k in range(50)))

    assert asyncio.run(main()) == [True] * 50
    assert wal.synced == journal.tell() == (tmp_path / "j.jsonl").stat().st_size
    assert 1 <= wal.fsyncs <= 3  # 50 commits, grouped: far fewer fsyncs than records
    assert not logged and wal.trouble is None


def test_commits_of_one_turn_share_an_fsync_and_a_later_one_gets_its_own(
        tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", append=False)
    wal = Durability(journal, print)

    async def main() -> None:
        wal.write("a")
        first = asyncio.ensure_future(wal.commit())
        await asyncio.sleep(0)  # the first commit waits for an fsync at the end of this turn
        wal.write("b")
        assert await wal.commit() and await first  # one fsync covered both
        assert wal.fsyncs == 1 and wal.synced == journal.tell()
        wal.write("c")
        assert await wal.commit()
        assert wal.fsyncs == 2 and wal.synced == journal.tell()
        assert await wal.commit() and wal.fsyncs == 2  # nothing new: no fsync

    asyncio.run(main())


def test_a_full_disk_is_said_once_and_nothing_is_acknowledged(tmp_path: Path) -> None:
    journal = Journal(Path("/dev/full"), append=True)  # every write: ENOSPC
    logged: list[str] = []
    wal = Durability(journal, logged.append)
    wal.write("report", seq=1)
    wal.write("report", seq=2)
    assert not asyncio.run(wal.commit())
    assert not wal.retry()
    assert len(wal.backlog) == 2  # kept, in order, for when the disk takes them
    assert wal.trouble is not None and wal.trouble.startswith("cannot write the journal")
    assert "disk full" in wal.trouble
    assert len(logged) == 1 and "acknowledging nothing" in logged[0]


def test_a_refused_write_leaves_whole_lines_and_the_journal_recovers(tmp_path: Path) -> None:
    """RLIMIT_FSIZE (unprivileged) makes the file refuse to grow past a size: EFBIG."""
    path = tmp_path / "j.jsonl"
    script = textwrap.dedent(f"""
        import asyncio, resource
        from pathlib import Path
        from bytebiota.journal import Journal
        from bytebiota.server.durability import Durability
        Path({str(path)!r}).write_text("old content, replaced\\n" * 50)
        journal = Journal(Path({str(path)!r}), append=False)
        wal = Durability(journal, lambda m: print("LOG", m))
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, resource.RLIM_INFINITY))
        for k in range(20):
            wal.write("report", seq=k, pad="x" * 20)
        print("OK", asyncio.run(wal.commit()), len(wal.backlog), journal.tell())
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print("BACK", wal.retry(), len(wal.backlog), asyncio.run(wal.commit()))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    logs = [o for o in out if o.startswith("LOG")]
    assert len(logs) == 2 and "disk full" in logs[0] and "writable again" in logs[1]
    ok = next(o for o in out if o.startswith("OK")).split()
    assert ok[1] == "False" and int(ok[2]) > 0 and int(ok[3]) <= 300
    assert next(o for o in out if o.startswith("BACK")).split() == ["BACK", "True", "0",
                                                                    "True"]
    assert b"\x00" not in path.read_bytes()  # no hole where the refused write was cut off
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 21  # every record once, whole, in order
    assert [int(x.split(b'"seq":')[1].split(b",")[0]) for x in lines[:-1]] == list(range(20))


def test_the_newest_checkpoint_is_the_last_written_not_the_highest_total(
        tmp_path: Path) -> None:
    """Issue 15, failure 8: after a rollback the server's total is lower; its next
    checkpoint is still the newest, and the stale higher one is what gets pruned."""
    from bytebiota import checkpoints

    for steps in (500, 900, 300, 200):  # 900, then a rollback
        checkpoints.write(tmp_path, "server", {"steps": steps}, b"", keep=2)
    found = checkpoints.newest(tmp_path, "server")
    assert found is not None and found[1]["steps"] == 200
    kept = [checkpoints.read(p)[0]["steps"] for p in checkpoints.listing(tmp_path, "server")]
    assert kept == [200, 300]
