"""The real ``bytebiota`` command, run as a process: version, help, config, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import bytebiota.core
from bytebiota import cli
from bytebiota.errors import Failure
from tests.conftest import Cli, clean_environ


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bytebiota: error: ")
    return lines[0]


def test_version_names_the_core(cli: Cli) -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("bytebiota 0.")
    assert f"core: {bytebiota.core.describe()}" in result.stdout.splitlines()


def test_version_in_pure_mode(cli: Cli) -> None:
    result = cli("--version", env={"BYTEBIOTA_CORE": "pure"})
    assert "core: pure" in result.stdout.splitlines()


def test_a_bad_core_switch_is_one_line(cli: Cli) -> None:
    line = _one_error_line(cli("--version", env={"BYTEBIOTA_CORE": "fast"}))
    assert "BYTEBIOTA_CORE='fast'" in line


def test_help_and_missing_command(cli: Cli) -> None:
    assert cli("--help").returncode == 0
    assert "config" in cli("--help").stdout
    result = cli()
    assert result.returncode == 2
    assert "usage: bytebiota" in result.stdout


def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    result = cli("fly")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_bad_environment_value(cli: Cli) -> None:
    line = _one_error_line(cli("config", env={"SOUP_SIZE": "abc"}))
    assert "SOUP_SIZE='abc' from the environment" in line


def test_bad_ratio_flag(cli: Cli) -> None:
    line = _one_error_line(cli("config", "--set", "MAX_OCCUPANCY_RATIO=1.5"))
    assert "MAX_OCCUPANCY_RATIO" in line and "1.5" in line and "0..1" in line


def test_unknown_set_name_suggests(cli: Cli) -> None:
    line = _one_error_line(cli("config", "--set", "SOUP_SIZ=10"))
    assert "SOUP_SIZ" in line and "did you mean SOUP_SIZE" in line


def test_bad_named_flag_value(cli: Cli) -> None:
    line = _one_error_line(cli("config", "--port", "70000"))
    assert "SERVER_PORT='70000' from --port: too large" in line


def test_precedence_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SOUP_SIZE=12345\n")

    def soup(*args: str, env: dict[str, str] | None = None) -> object:
        result = cli("config", "--json", *args, env=env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["SOUP_SIZE"]

    assert soup() == {"value": 12345, "source": ".env"}
    assert soup(env={"SOUP_SIZE": "777"}) == {"value": 777, "source": "environment"}
    assert soup("--soup-size", "999", env={"SOUP_SIZE": "777"}) == {
        "value": 999, "source": "flag"}


def test_an_absent_flag_does_not_override_dotenv(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SERVER_HOST=127.0.0.1\nSERVER_PORT=9999\n")
    document = json.loads(cli("config", "--json").stdout)
    assert document["SERVER_HOST"] == {"value": "127.0.0.1", "source": ".env"}
    assert document["SERVER_PORT"] == {"value": 9999, "source": ".env"}


def test_toml_round_trip_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    first = cli("config", "--toml", "--regime", "classic", "--seed", "17")
    assert first.returncode == 0, first.stderr
    (tmp_path / "c.toml").write_text(first.stdout)
    second = cli("config", "--config", "c.toml", "--toml")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    values = json.loads(cli("config", "--config", "c.toml", "--json").stdout)
    assert values["SEED"] == {"value": 17, "source": "file"}
    assert values["SOUP_SIZE"] == {"value": 60000, "source": "file"}


def test_text_output_and_auto_preset_report(cli: Cli) -> None:
    result = cli("config", "--preset", "auto")
    assert result.returncode == 0
    assert result.stderr.startswith("Auto-detecting optimal resource configuration...")
    assert "Recommended preset: " in result.stderr
    assert result.stdout.startswith("[global] ")  # stdout: the table alone
    assert "[soup] Soup (memory)" in result.stdout
    changed = cli("config", "--changed", "--preset", "full").stdout
    assert "RESOURCE_PRESET" in changed and "SOUP_SIZE" not in changed


def test_ignored_variable_notice(cli: Cli) -> None:
    result = cli("config", "--json", env={"ENABLE_WEB_UI": "true"})
    assert result.returncode == 0
    assert result.stderr.strip() == (
        "bytebiota: notice: ENABLE_WEB_UI (from the environment) is ignored: no web UI: "
        "`bytebiota monitor` is the dashboard; ignored with a notice"
    )


def test_config_does_not_import_rich_numpy_or_asyncio() -> None:
    script = (
        "import sys, io, contextlib; from bytebiota import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['config', '--json']) == 0\n"
        "print(sorted(m for m in ('rich', 'numpy', 'asyncio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], env=clean_environ(), check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_exit_statuses_are_decided_in_main(monkeypatch: pytest.MonkeyPatch) -> None:
    def raise_(exc: BaseException) -> None:
        raise exc

    full = OSError(28, "No space left on device", "data/x")
    for exc, status in ((KeyboardInterrupt(), 130), (Failure("no"), 1), (full, 1),
                        (ExceptionGroup("task", [Failure("no")]), 1)):
        monkeypatch.setattr(cli, "_handler", lambda _c, e=exc: lambda *a: raise_(e))
        assert cli.main(["config"]) == status


def test_python_dash_m_works(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bytebiota", "--version"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "core:" in result.stdout


def test_release_without_a_server_says_so_and_keeps_the_request(cli: Cli,
                                                                 tmp_path: Path) -> None:
    result = cli("release", "w 1", "--wait", "0.3")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("bytebiota: error: no server answered within 0.3 s")
    [request] = (tmp_path / "data" / "control").glob("*.request")
    assert request.read_text() == "w 1"  # applied when the server starts
    left = cli("release", "w2", "--wait", "0")
    assert left.returncode == 0 and "request left in" in left.stdout
    for bad in (["release", " "], ["release", "w1", "--wait", "-1"], ["release"]):
        refused = cli(*bad)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert "error:" in refused.stderr.strip().splitlines()[-1]  # (after argparse's usage)
