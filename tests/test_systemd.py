"""The systemd units: well-formed (systemd-analyze verify, where it exists) and as documented."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

UNITS = sorted((REPO / "systemd").glob("*.service"))


def test_units_are_there_and_use_the_environment_file() -> None:
    assert [u.name for u in UNITS] == ["bytebiota-server.service", "bytebiota-worker@.service"]
    for unit in UNITS:
        text = unit.read_text()
        assert "EnvironmentFile=-/opt/bytebiota/.env" in text
        assert "Environment=BYTEBIOTA_CORE=compiled" in text  # the compiled core is required
        assert "KillSignal=SIGTERM" in text
        # a crash restarts, a configuration error (exit status 2) does not, every 5 s forever
        assert "Restart=on-failure" in text and "RestartPreventExitStatus=2" in text
        assert "Restart=always" not in text
        assert "--host" not in text and "--port" not in text  # flags never beat .env


def _checkable(unit: Path, directory: Path) -> Path:
    """The units point at /opt/bytebiota, which does not exist here: a copy with the
    executable swapped for one that does (and an instance name); the rest as shipped."""
    copy = directory / unit.name.replace("@.", "@1.")
    copy.write_text(unit.read_text().replace("/opt/bytebiota/.venv/bin/bytebiota", "/bin/true"))
    return copy


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    copy = _checkable(unit, tmp_path)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_analyze_security_rates_the_unit_at_most_5(unit: Path, tmp_path: Path) -> None:
    copy = _checkable(unit, tmp_path)
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(copy)],
                            capture_output=True, text=True, timeout=60, check=False)
    found = EXPOSURE.search(result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 5.0, result.stdout
