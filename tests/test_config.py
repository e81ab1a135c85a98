"""The configuration: the table against the seed, precedence, validation, output, round trips."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bytebiota import config as cfg
from bytebiota import resources
from bytebiota.config import Config, Source, load, parse_value, to_json, to_toml
from bytebiota.errors import ConfigError
from bytebiota.variables import BY_NAME, GROUPS, NOT_OURS, VARIABLES, Kind, Var, lookup
from tests.conftest import REPO

SEED_VARIABLES = REPO.parent / "shared" / "seeds" / "000_cac9c4fc58f01c6a.txt"


def _load(tmp_path: Path, environ: dict[str, str] | None = None, **kwargs: object) -> Config:
    """load() isolated from the real environment and from any .env above the test."""
    return load(environ=environ or {}, cwd=tmp_path, **kwargs)  # type: ignore[arg-type]


# ---- the table ------------------------------------------------------------------------------


def test_names_and_aliases_are_unique() -> None:
    names = [v.name for v in VARIABLES] + [a for v in VARIABLES for a in v.aliases]
    assert len(names) == len(set(names))


def test_every_default_passes_its_own_validation() -> None:
    for var in VARIABLES:
        if var.default is not None:
            assert parse_value(var, var.default, cfg.Origin(Source.DEFAULT)) == var.default


def test_every_group_is_known_and_levels_are_valid() -> None:
    groups = {g for g, _ in GROUPS}
    for var in VARIABLES:
        assert var.group in groups, var.name
        assert var.level in ("core", "standard", "advanced"), var.name
        assert var.help, var.name
        if var.optional:
            assert var.unset, f"{var.name} is unset by default but does not say what that means"


@pytest.mark.parametrize("group", [g for g, _ in GROUPS])
def test_dataclass_fields_are_exactly_the_table(group: str) -> None:
    assert cfg.dataclass_fields(group) == [v.field for v in VARIABLES if v.group == group]


def _seed_table() -> dict[str, list[tuple[str, str]]]:
    """Every variable of the seed's reference tables: NAME -> [(type, default), ...]."""
    text = SEED_VARIABLES.read_text()
    found: dict[str, list[tuple[str, str]]] = {}
    for match in re.finditer(r"^([A-Za-z_]+) \|\n(\w+) \| ([^|]*) \|", text, re.MULTILINE):
        found.setdefault(match.group(1), []).append((match.group(2), match.group(3).strip()))
    return found


@pytest.mark.skipif(not SEED_VARIABLES.exists(), reason="../shared/seeds is not beside the repo")
def test_every_seed_variable_is_in_the_table_with_its_type_and_default() -> None:
    seed = _seed_table()
    assert len(seed) > 100  # the parser found the tables
    not_ours = {name for name, _ in NOT_OURS}
    kinds = {"int": {Kind.INT}, "float": {Kind.FLOAT}, "bool": {Kind.BOOL},
             "str": {Kind.STR, Kind.PATH}}
    for name, entries in seed.items():
        if name in not_ours:
            continue
        var = lookup(name)
        assert var is not None, f"{name} of the seed is missing from the table"
        for kind, default in entries:
            assert var.kind in kinds[kind] or (kind == "int" and var.kind is Kind.FLOAT), (
                f"{name}: seed type {kind}, ours {var.kind.value}"
            )
            if var.note or var.new or (var.aliases and name != var.name):
                continue  # a documented choice between two defaults, or a renamed variable
            expected = _seed_default(var, default)
            if expected is not _NO_DEFAULT:
                assert var.default == expected, f"{name}: seed {default}, ours {var.default}"


_NO_DEFAULT = object()


def _seed_default(var: Var, text: str) -> object:
    if text in ("-", "auto-detected", "auto-generated") or text.startswith('"{data_dir}'):
        return _NO_DEFAULT
    if text.startswith('"'):
        return text.strip('"')
    if text in ("true", "false"):
        return text == "true"
    return float(text) if var.kind is Kind.FLOAT else int(text)


# ---- precedence -----------------------------------------------------------------------------


def test_defaults_come_from_the_table(tmp_path: Path) -> None:
    config = _load(tmp_path)
    assert config.soup.soup_size == 5_000_000
    assert config.origins["SOUP_SIZE"].source is Source.DEFAULT
    assert config.global_.regime == "ecology"
    assert config["MAX_OCCUPANCY_RATIO"] == 0.7


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("SOUP_SIZE = 1000\nBASE_SLICE = 7\n[mutation]\nMAX_MAL_MULT = 4\n")
    (tmp_path / ".env").write_text("SOUP_SIZE=12345\nMAX_MAL_MULT=5\n")
    environ = {"SOUP_SIZE": "777"}

    config = _load(tmp_path, environ, config_file=toml)
    assert (config.soup.soup_size, config.origins["SOUP_SIZE"].source) == (777, Source.ENV)
    assert (config["MAX_MAL_MULT"], config.origins["MAX_MAL_MULT"].source) == (5, Source.DOTENV)
    assert (config["BASE_SLICE"], config.origins["BASE_SLICE"].source) == (7, Source.FILE)

    config = _load(tmp_path, environ, config_file=toml, named_flags={"--soup-size": "999"})
    assert (config.soup.soup_size, config.origins["SOUP_SIZE"].source) == (999, Source.FLAG)


def test_dotenv_is_found_upward_and_does_not_override_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SEED=5\nSERVER_PORT=9000\n")
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    config = load(environ={"SERVER_PORT": "9100"}, cwd=below)
    assert config["SEED"] == 5
    assert config.origins["SEED"].detail == str(tmp_path / ".env")
    assert config["SERVER_PORT"] == 9100


def test_the_nearest_dotenv_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SEED=5\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".env").write_text("SEED=6\n")
    assert load(environ={}, cwd=tmp_path / "a")["SEED"] == 6


def test_set_flags_apply_in_order_and_named_flags_last(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        settings=["SEED=1", "SEED=2", "MAX_STEPS=10"],
        named_flags={"--max-steps": "20"},
    )
    assert config["SEED"] == 2
    assert config["MAX_STEPS"] == 20
    assert config.origins["MAX_STEPS"].detail == "--max-steps"


def test_regime_defaults_sit_between_default_and_user_layers(tmp_path: Path) -> None:
    config = _load(tmp_path, named_flags={"--regime": "classic"})
    assert config.soup.soup_size == 60_000
    assert config.origins["SOUP_SIZE"].source is Source.REGIME
    assert config.mutation.max_mal_mult == 3
    config = _load(tmp_path, {"REGIME": "classic", "SOUP_SIZE": "70000"})
    assert config.soup.soup_size == 70_000
    assert config.origins["SOUP_SIZE"].source is Source.ENV


def test_regime_and_preset_names_are_case_insensitive(tmp_path: Path) -> None:
    config = _load(tmp_path, {"REGIME": "Classic", "RESOURCE_PRESET": "FULL"})
    assert config["REGIME"] == "classic"
    assert config["RESOURCE_PRESET"] == "full"


def test_preset_fills_resource_values_unless_set(tmp_path: Path) -> None:
    config = _load(tmp_path, {"RESOURCE_PRESET": "full", "CPU_PERCENT": "30"})
    assert config.worker.cpu_percent == 30.0
    assert config.origins["CPU_PERCENT"].source is Source.ENV
    assert config.worker.batch_size == resources.PRESETS["full"].batch_size
    assert config.origins["BATCH_SIZE"].source is Source.PRESET
    assert config.worker.memory_mb is not None and config.worker.memory_mb >= 512


@pytest.mark.parametrize(
    ("cores", "memory_mb", "expected"),
    [(1, 512, "minimal"), (2, 24_000, "background"), (4, 8192, "standard"),
     (8, 8192, "standard"), (16, 65536, "full"), (64, 1024, "background")],
)
def test_auto_recommends_by_cores_and_memory(cores: int, memory_mb: int, expected: str) -> None:
    machine = resources.Machine(cores=cores, memory_mb=memory_mb, disk_free_mb=50_000)
    assert resources.recommend(machine) == expected
    report = resources.detection_report(machine)
    assert report[1].startswith(f"Detected: {cores} CPU cores, {memory_mb}MB memory")
    assert report[2] == f"Recommended preset: {expected}"


def test_presets_never_plan_more_than_half_the_free_disk() -> None:
    machine = resources.Machine(cores=8, memory_mb=32768, disk_free_mb=300)
    assert resources.PRESETS["full"].values(machine)["DISK_MB"] == 150


def test_aliases_are_read_and_the_canonical_name_wins(tmp_path: Path) -> None:
    config = _load(tmp_path, {"WEBSOCKET_MAX_MESSAGE_SIZE": "2048"})
    assert config.network.max_message_size == 2048
    config = _load(tmp_path, {"WEBSOCKET_MAX_MESSAGE_SIZE": "2048", "MAX_MESSAGE_SIZE": "4096"})
    assert config.network.max_message_size == 4096
    config = _load(tmp_path, {"BYTEBIOta_SERVER_URL": "tcp://h:1"})
    assert config["BYTEBIOTA_SERVER_URL"] == "tcp://h:1"


def test_replaced_variables_are_ignored_with_one_notice(tmp_path: Path) -> None:
    assert _load(tmp_path).notices == ()
    config = _load(tmp_path, {"ENABLE_WEB_UI": "true", "WEBSOCKET_URL": "ws://x"})
    assert len(config.notices) == 2
    assert config.notices[0].startswith("ENABLE_WEB_UI (from the environment) is ignored")


def test_unknown_dotenv_names_close_to_ours_are_noticed(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SOUP_SIZ=10\nUNRELATED_TOOL_SETTING=1\n")
    config = load(environ={}, cwd=tmp_path)
    assert len(config.notices) == 1
    assert "SOUP_SIZ" in config.notices[0] and "SOUP_SIZE" in config.notices[0]


def test_paths_derive_from_the_data_dir_unless_set(tmp_path: Path) -> None:
    config = _load(tmp_path, named_flags={"--data-dir": "/srv/bb"})
    assert config.logging.log_jsonl_path == "/srv/bb/runs/latest/journal.jsonl"
    assert config.data.server_checkpoints == Path("/srv/bb/checkpoints/server")
    assert config.data.genebank == Path("/srv/bb/genebank")
    config = _load(tmp_path, {"CHECKPOINT_DIR": "/elsewhere"}, named_flags={"--data-dir": "d"})
    assert config.data.worker_checkpoints == Path("/elsewhere/worker")
    assert config.data.logs == Path("d/logs")


def test_data_directories_are_created_on_demand(tmp_path: Path) -> None:
    config = _load(tmp_path, named_flags={"--data-dir": str(tmp_path / "data")})
    assert not (tmp_path / "data").exists()
    assert config.data.ensure(config.data.server_checkpoints).is_dir()


# ---- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"SOUP_SIZE": "abc"}, "SOUP_SIZE='abc' from the environment: not an integer"),
        ({"SOUP_SIZE": "-5"}, "SOUP_SIZE='-5' from the environment: too small"),
        ({"SOUP_SIZE": "1.5"}, "not an integer"),
        ({"MAX_OCCUPANCY_RATIO": "1.5"}, "MAX_OCCUPANCY_RATIO='1.5' from the environment: too "),
        ({"REAP_CHANCE": "nan"}, "REAP_CHANCE='nan' from the environment: not a finite number"),
        ({"ERROR_MOVE_UP": "maybe"}, "not a boolean"),
        ({"REGIME": "tierra"}, "allowed: one of ecology, classic"),
        ({"RESOURCE_PRESET": "huge"}, "allowed: one of minimal, background"),
        ({"DATA_BASE_DIR": ""}, "an empty path"),
        ({"WEBSOCKET_MAX_MESSAGE_SIZE": "1"}, "WEBSOCKET_MAX_MESSAGE_SIZE (read as "
                                               "MAX_MESSAGE_SIZE)='1'"),
        ({"MIN_BATCH_SIZE": "300"}, "MIN_BATCH_SIZE=300 (from the environment) is above "
                                    "MAX_BATCH_SIZE=200 (from default)"),
        ({"ENERGY_INITIAL": "500"}, "ENERGY_INITIAL=500"),
        ({"ANCESTOR_LOAD_ADDRESS": "6000000"}, "outside the soup"),
    ],
)
def test_bad_values_name_variable_value_source_and_allowed(
    tmp_path: Path, environ: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, environ)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


def test_an_overridden_bad_value_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SOUP_SIZE=abc\n")
    assert load(environ={"SOUP_SIZE": "1000"}, cwd=tmp_path).soup.soup_size == 1000


def test_optional_values_can_be_unset_again(tmp_path: Path) -> None:
    config = _load(tmp_path, {"SEED": "", "CPU_PERCENT": "auto", "RESOURCE_PRESET": "full"})
    assert config["SEED"] is None
    assert config["CPU_PERCENT"] is None
    assert config.origins["CPU_PERCENT"].source is Source.ENV


def test_unknown_set_name_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown variable SOUP_SIZ .*did you mean SOUP_SIZE"):
        _load(tmp_path, settings=["SOUP_SIZ=10"])
    with pytest.raises(ConfigError, match="expected NAME=VALUE"):
        _load(tmp_path, settings=["SOUP_SIZE"])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("SOUP_SIZ = 10\n", "unknown variable SOUP_SIZ in {path} (did you mean SOUP_SIZE"),
        ("[soup]\nSEED = 1\n", "SEED in [soup] of {path}: it belongs in [global]"),
        ("[soupe]\nSOUP_SIZE = 1000\n", "unknown table [soupe] in {path} (did you mean soup?)"),
        ("SOUP_SIZE = \n", "is not valid TOML"),
        ("SOUP_SIZE = 1.5\n", "SOUP_SIZE=1.5 from {path}: a number where int is needed"),
        ("SOUP_SIZE = true\n", "a boolean where int is needed"),
        ("SERVER_HOST = 5\n", "a number where str is needed"),
        ("SOUP_SIZE = [1]\n", "a list is not a value here"),
    ],
)
def test_bad_toml_files(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, config_file=path)
    assert fragment.format(path=path) in str(caught.value)


def test_missing_toml_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        _load(tmp_path, config_file=tmp_path / "nope.toml")


def test_toml_accepts_native_and_string_values(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('SLICER_POWER = 1\nSOUP_SIZE = "2000"\n[reaper]\nERROR_MOVE_UP = false\n')
    config = _load(tmp_path, config_file=path)
    assert config.scheduler.slicer_power == 1.0 and isinstance(config["SLICER_POWER"], float)
    assert config.soup.soup_size == 2000
    assert config.reaper.error_move_up is False


# ---- output ---------------------------------------------------------------------------------


def test_json_has_every_variable_with_value_and_source(tmp_path: Path) -> None:
    document = json.loads(to_json(_load(tmp_path, {"SEED": "3"})))
    assert list(document) == [v.name for v in VARIABLES]
    assert document["SEED"] == {"value": 3, "source": "environment"}
    assert document["LOG_JSONL_PATH"] == {
        "value": "data/runs/latest/journal.jsonl", "source": "default"}


def test_toml_round_trip_keeps_every_value(tmp_path: Path) -> None:
    original = _load(tmp_path, {"SEED": "9", "REGIME": "classic", "ENABLE_WEB_UI": "false"},
                     named_flags={"--data-dir": "xyz"})
    path = tmp_path / "c.toml"
    path.write_text(to_toml(original))
    tomllib.loads(path.read_text())
    again = _load(tmp_path, config_file=path)
    assert dict(again.values) == dict(original.values)
    assert to_toml(again) == to_toml(original)


def _value_strategy(var: Var) -> st.SearchStrategy[object]:
    if var.kind is Kind.BOOL:
        return st.booleans()
    if var.choices:
        return st.sampled_from(var.choices)
    if var.kind is Kind.INT:
        return st.integers(min_value=int(var.lo or 0), max_value=int(var.hi or 2**40))
    if var.kind is Kind.FLOAT:
        return st.floats(min_value=var.lo or 0.0, max_value=var.hi or 1e9,
                         allow_nan=False, allow_infinity=False)
    return st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1,
                   max_size=12)


_INDEPENDENT = [v for v in VARIABLES if v.name not in {
    n for pair in cfg.ORDERED_PAIRS for n in pair[:2]} | {"ANCESTOR_LOAD_ADDRESS", "SOUP_SIZE"}]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(st.lists(st.sampled_from(_INDEPENDENT), max_size=12, unique=True).flatmap(
    lambda chosen: st.tuples(*(st.tuples(st.just(v), _value_strategy(v)) for v in chosen))))
def test_toml_round_trip_of_arbitrary_settings(tmp_path: Path, chosen: tuple[tuple[Var, object],
                                                                              ...]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("\n".join(f"{v.name} = {json.dumps(x)}" for v, x in chosen) + "\n")
    original = _load(tmp_path, config_file=path)
    path.write_text(to_toml(original, show_secrets=True))
    again = _load(tmp_path, config_file=path)
    assert dict(again.values) == dict(original.values)
    path.write_text(to_toml(original))  # secrets left out unless asked for
    public = _load(tmp_path, config_file=path)
    assert all(public.values[n] is None for n in cfg.SECRETS)


def test_text_output_marks_sources_and_unset_values(tmp_path: Path) -> None:
    text = cfg.to_text(_load(tmp_path, {"SOUP_SIZE": "4096"}))
    assert re.search(r"^  SOUP_SIZE +4096 +the environment$", text, re.MULTILINE)
    assert re.search(r"^  SEED +- +default \(unset: ", text, re.MULTILINE)
    changed = cfg.to_text(_load(tmp_path, {"SOUP_SIZE": "4096"}), everything=False)
    assert "SOUP_SIZE" in changed and "SEED" not in changed
    assert len(BY_NAME) > 100
