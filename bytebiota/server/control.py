"""Operator requests to a server through its data directory: ``bytebiota release WORKER_ID``.

Releasing a quarantined worker must not be possible for the workers themselves, and every
volunteer holds SERVER_TOKEN, so the request does not travel over the protocol: it is a file
in ``DATA_BASE_DIR/control/`` on the server's machine (write access there is the operator's
credential). The server looks every 0.5 s, applies the request (journaled), and answers in
a ``.done`` file beside it, which the command prints. A request made while the server is
down waits there and applies when it starts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bytebiota.config import Config
from bytebiota.errors import Failure, UserError


def _directory(data_dir: str | Path) -> Path:
    return Path(data_dir) / "control"


def _name(worker_id: str) -> str:
    return f"release-{worker_id.encode().hex()}"  # any id, safely as a file name


def request_release(data_dir: str | Path, worker_id: str) -> Path:
    directory = _directory(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_name(worker_id)}.request"
    (directory / f"{_name(worker_id)}.done").unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(worker_id)
    os.replace(tmp, path)
    return path


def pending(data_dir: str | Path) -> list[tuple[Path, str]]:
    """(request file, worker id) of every request waiting, oldest name first."""
    directory = _directory(data_dir)
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("release-*.request")):
        try:
            out.append((path, bytes.fromhex(path.stem.removeprefix("release-")).decode()))
        except (ValueError, UnicodeDecodeError):
            path.unlink(missing_ok=True)  # not one of ours
    return out


def answer(request: Path, done_ok: bool, text: str) -> None:
    """The server's answer: "ok" or "no" on the first line, then what it says."""
    done = request.with_suffix(".done")
    tmp = request.with_suffix(".tmp")
    tmp.write_text(("ok" if done_ok else "no") + "\n" + text + "\n")
    os.replace(tmp, done)
    request.unlink(missing_ok=True)


def command(args: Any, config: Config) -> None:
    worker_id = args.worker_id.strip()
    if not worker_id:
        raise UserError("release: the worker id is empty")
    data_dir = config.global_.data_base_dir
    request = request_release(data_dir, worker_id)
    if args.wait == 0:
        print(f"request left in {request}; the server applies it within a second")
        return
    done = request.with_suffix(".done")
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        if done.exists():
            verdict, _, text = done.read_text().strip().partition("\n")
            done.unlink(missing_ok=True)
            if verdict != "ok":
                raise Failure(text)
            print(text)
            return
        time.sleep(0.2)
    raise Failure(f"no server answered within {args.wait:g} s (is one running with "
                  f"DATA_BASE_DIR={data_dir}?); the request stays in {request} and applies "
                  "when the server starts")
