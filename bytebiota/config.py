"""The effective configuration: layers, precedence, validation, and the config dataclasses.

Precedence, lowest first (each layer only overrides the variables it names):

    default < preset < regime < file (--config FILE) < .env < environment < flag

- *preset*: the values RESOURCE_PRESET implies (see ``resources.py``);
- *regime*: the defaults REGIME carries (``REGIME_DEFAULTS``; ``config --regime classic``);
- *.env*: the first ``.env`` found in the current directory or above it; it only fills
  variables the process environment does not set (python-dotenv's ``override=False`` rule);
- *flag*: ``--set NAME=VALUE`` and the named flags (``--soup-size`` ...). A flag that is not
  given overrides nothing: flags carry no defaults of their own.

Every value is checked against ``variables.VARIABLES`` (type, range, choices) where it is
read; a bad one raises ``ConfigError`` naming the variable, the value, where it came from and
what is allowed. Names unknown to the table are errors in a TOML file and in ``--set`` (with
the closest valid names suggested); in ``.env`` they are reported as notices, since a .env
file is often shared with other tools; the process environment is not ours to police.

Invariants: ``Config`` is immutable; ``Config.values`` has every variable of the table, and
``Config.origins`` says where each one came from.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Any

from bytebiota import resources
from bytebiota.errors import ConfigError, UserError
from bytebiota.variables import ALIASES, BY_NAME, GROUPS, VARIABLES, Kind, Var, lookup

Value = int | float | bool | str | None


class Source(Enum):
    DEFAULT = "default"
    PRESET = "preset"
    REGIME = "regime"
    FILE = "file"
    DOTENV = ".env"
    ENV = "environment"
    FLAG = "flag"
    CHECKPOINT = "checkpoint"  # a resumed run's world, as its checkpoint recorded it


USER_SOURCES = (Source.FILE, Source.DOTENV, Source.ENV, Source.FLAG)  # what the user set

@dataclass(frozen=True)
class Origin:
    """Where a value came from: the layer, and a detail for people (file path, flag name)."""

    source: Source
    detail: str = ""

    def describe(self) -> str:
        return self.detail or self.source.value


# Defaults each regime carries over the table's defaults (the table's are the ecology
# regime's). The classic regime is Tierra 6.02's (docs/fidelity.md, with the runs behind each
# value): a 60,000-byte soup, MAL up to 3x the mother's size, its memory semantics, its
# shipped slicer and reaper, and Ray's 1991 mutation regime set per generation.
REGIME_DEFAULTS: dict[str, dict[str, Value]] = {
    "ecology": {},
    "classic": {
        "ANCESTOR": "classic",
        "SOUP_SIZE": 60_000,
        "MAX_OCCUPANCY_RATIO": 1.0,
        "MAX_MAL_MULT": 3,
        # Tierra 6.02's memory semantics: MalMode 1, mal() frees a held block, MemModeFree 0
        "MAL_PLACEMENT": "better",
        "MAL_REPLACES_DAUGHTER": True,
        "WRITE_FREE_MEMORY": True,
        "RELABEL_CHANGED_GENOMES": True,
        # its shipped soup_in's slicer (a uniform 0-50 instructions) and reaper (top 30 %)
        "SLICER_POWER": 0.0,
        "BASE_SLICE": 24,
        "SLICE_FIXED_FRACTION": 0.0,
        "SLICE_RANDOM_FRACTION": 2.0,
        "REAP_TOP_FRACTION": 0.3,
        # Ray 1991's rates, per generation as in Tierra: at the ancestor's soup (80 bytes,
        # ~826 instructions per daughter, ~380 cells) one copy flip per 640 bytes copied (8
        # generations: at 12.5, Ray's 1,000 bytes, the live genotypes fell below Tierra's 150
        # in 4 of 9 seeds), one background flip per ~10,000 instructions, one flaw per ~25,000;
        # the fixed rates below hold for the first million instructions
        "BACKGROUND_FLIP_INTERVAL": 10_000,
        "COPY_BIT_FLIP_RATE": 0.001,
        "FLAW_RATE": 0.00004,
        "GENERATIONS_PER_COPY_FLIP": 8.0,
        "GENERATIONS_PER_BACKGROUND_FLIP": 25.0,
        "GENERATIONS_PER_FLAW": 30.0,
        "INSERTION_DELETION_RATE": 0.0,
    },
}

# The named flags: each is a shorthand for --set of one variable.
NAMED_FLAGS: dict[str, str] = {
    "--seed": "SEED",
    "--max-steps": "MAX_STEPS",
    "--soup-size": "SOUP_SIZE",
    "--host": "SERVER_HOST",
    "--port": "SERVER_PORT",
    "--server-url": "SERVER_URL",
    "--worker-id": "WORKER_ID",
    "--preset": "RESOURCE_PRESET",
    "--regime": "REGIME",
    "--data-dir": "DATA_BASE_DIR",
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


# ---- the dataclasses, one per group ---------------------------------------------------------
# Their fields are exactly the table's variables of that group, lower-cased (a test checks it).


@dataclass(frozen=True, slots=True)
class GlobalConfig:
    seed: int | None
    max_steps: int | None
    cpu_throttle_delay: float
    data_base_dir: str
    regime: str


@dataclass(frozen=True, slots=True)
class SoupConfig:
    soup_size: int
    max_occupancy_ratio: float
    search_limit_multiplier: int


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    slicer_power: float
    base_slice: int
    slice_fixed_fraction: float
    slice_random_fraction: float
    max_slice: int
    repeat_slices: int | None


@dataclass(frozen=True, slots=True)
class MutationConfig:
    copy_bit_flip_rate: float
    background_flip_interval: int
    insertion_deletion_rate: float
    indel_insertion_bias: float
    flaw_rate: float
    generations_per_copy_flip: float
    generations_per_background_flip: float
    generations_per_flaw: float
    max_mal_mult: int
    mal_placement: str
    mal_replaces_daughter: bool
    relabel_changed_genomes: bool
    write_free_memory: bool
    mutation_reach: str
    execute_own_code: bool
    copy_advances: bool


@dataclass(frozen=True, slots=True)
class ReaperConfig:
    error_move_up: bool
    success_move_down: bool
    protect_current_caller: bool
    age_error_interval: int
    age_threshold_multiplier: float
    error_threshold_multiplier: float
    min_population_for_reap: int
    memory_reap_threshold: float
    repopulation_threshold: int
    repopulation_stop_threshold: int
    repopulation_batch: int
    stagnation_spawn_interval: int
    stagnation_spawn_count: int
    reap_chance: float
    reap_top_fraction: float
    repro_timeout_steps: int
    age_limit: int


@dataclass(frozen=True, slots=True)
class EnvironmentConfig:
    env_length: int
    env_regen_interval: int
    env_regen_amount: int
    env_signal_decay_interval: int
    env_signal_decay_factor: float
    env_harvest_yield: int
    env_max_resource: int
    env_task_reward: int
    env_storage_slots: int
    env_enable_gradients: bool
    env_gradient_type: str
    env_gradient_amplitude: float
    env_hotspot_count: int
    env_hotspot_size: int
    env_gradient_period: int


@dataclass(frozen=True, slots=True)
class EnergyConfig:
    energy_initial: int
    energy_max: int
    cpu_cost_per_instruction: float
    memory_rent_per_byte: float
    harvest_multiplier: float
    task_bonus: int
    child_energy_requirement: int
    priority_boost_duration: int
    task_reward_rule: str


@dataclass(frozen=True, slots=True)
class EvolutionConfig:
    seed_bank_size: int


@dataclass(frozen=True, slots=True)
class AncestorConfig:
    ancestor: str
    ancestor_size_limit: int
    ancestor_load_address: int


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    log_interval_slices: int
    log_jsonl_path: str
    ecotype_share: float
    console_summary: bool
    refresh_hz: float
    log_level: str


@dataclass(frozen=True, slots=True)
class CheckpointConfig:
    checkpoint_enabled: bool
    checkpoint_dir: str
    checkpoint_cadence_seconds: int
    checkpoint_keep_last_n: int


@dataclass(frozen=True, slots=True)
class ServerConfig:
    server_host: str
    server_port: int
    max_workers: int
    worker_timeout: float
    checkpoint_interval: int
    handshake_timeout: float
    max_pending_connections: int
    auth_failure_burst: int
    auth_failure_rate: float
    validation_rate: float
    worker_enrolment: str
    max_leases_per_worker: int
    islands: int | None
    enable_web_ui: bool
    static_dir: str | None
    template_dir: str | None
    websocket_enabled: bool


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    worker_id: str | None
    resource_preset: str
    cpu_percent: float | None
    memory_mb: int | None
    disk_mb: int | None
    worker_jobs: int | None
    poll_interval: float
    batch_size: int
    min_batch_size: int
    max_batch_size: int
    target_interval_seconds: int
    adjustment_factor: float
    work_rate_threshold: int
    config_sync_interval: int
    bulk_assignment: bool
    bulk_poll_interval: int
    adaptive_batching: bool
    work_cycle_delay: float
    throttle_sleep_ms: float | None
    disable_throttle: bool
    local_soup_size: int | None
    max_work_cycles: int | None
    error_threshold: int
    offline_cache_max_mb: int
    adaptive_heartbeat: bool
    websocket_url: str | None


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    server_url: str
    bytebiota_server_url: str | None
    heartbeat_interval: float
    server_token: str | None
    monitor_token: str | None
    worker_credential: str | None
    max_message_size: int
    compression_threshold: int
    reconnect_max_attempts: int


GROUP_CLASSES: dict[str, type[Any]] = {
    "global": GlobalConfig,
    "soup": SoupConfig,
    "scheduler": SchedulerConfig,
    "mutation": MutationConfig,
    "reaper": ReaperConfig,
    "environment": EnvironmentConfig,
    "energy": EnergyConfig,
    "evolution": EvolutionConfig,
    "ancestor": AncestorConfig,
    "logging": LoggingConfig,
    "checkpoint": CheckpointConfig,
    "server": ServerConfig,
    "worker": WorkerConfig,
    "network": NetworkConfig,
}


@dataclass(frozen=True)
class DataLayout:
    """The data directory and its parts; ``ensure`` creates one on demand."""

    base: Path
    journal: Path
    checkpoints: Path

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    @property
    def server_checkpoints(self) -> Path:
        return self.checkpoints / "server"

    @property
    def worker_checkpoints(self) -> Path:
        return self.checkpoints / "worker"

    @property
    def cache(self) -> Path:
        return self.base / "cache"

    @property
    def reports(self) -> Path:
        return self.base / "reports"

    @property
    def genebank(self) -> Path:
        """The legacy layout's genebank; a run keeps its own (bytebiota/runs.py)."""
        return self.base / "genebank"

    @staticmethod
    def ensure(directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        return directory


@dataclass(frozen=True)
class Config:
    """The effective configuration of one command."""

    global_: GlobalConfig
    soup: SoupConfig
    scheduler: SchedulerConfig
    mutation: MutationConfig
    reaper: ReaperConfig
    environment: EnvironmentConfig
    energy: EnergyConfig
    evolution: EvolutionConfig
    ancestor: AncestorConfig
    logging: LoggingConfig
    checkpoint: CheckpointConfig
    server: ServerConfig
    worker: WorkerConfig
    network: NetworkConfig
    values: Mapping[str, Value]
    origins: Mapping[str, Origin]
    notices: tuple[str, ...]
    machine: resources.Machine | None

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    @property
    def data(self) -> DataLayout:
        return DataLayout(
            base=Path(self.global_.data_base_dir),
            journal=Path(self.logging.log_jsonl_path),
            checkpoints=Path(self.checkpoint.checkpoint_dir),
        )



# ---- parsing and validation -----------------------------------------------------------------


def _fail(var: Var, given_as: str, raw: object, origin: Origin, reason: str) -> ConfigError:
    name = given_as if given_as == var.name else f"{given_as} (read as {var.name})"
    shown = repr(raw) if isinstance(raw, str) else json.dumps(raw)
    return ConfigError(
        f"{name}={shown} from {origin.describe()}: {reason}; allowed: {var.allowed()}"
    )


def parse_value(var: Var, raw: object, origin: Origin, given_as: str | None = None) -> Value:
    """Convert ``raw`` (a string from .env, the environment or a flag, or a TOML value) to the
    variable's type and check its range. Raises ConfigError naming everything."""
    given = given_as or var.name
    if isinstance(raw, str):
        text = raw.strip()
        if var.optional and (text == "" or (var.kind in (Kind.INT, Kind.FLOAT)
                                            and text.lower() == "auto")):
            return None
        value: Value
        if var.kind is Kind.INT:
            try:
                value = int(text, 10)
            except ValueError:
                raise _fail(var, given, raw, origin, "not an integer") from None
        elif var.kind is Kind.FLOAT:
            try:
                value = float(text)
            except ValueError:
                raise _fail(var, given, raw, origin, "not a number") from None
        elif var.kind is Kind.BOOL:
            if text.lower() in _TRUE:
                value = True
            elif text.lower() in _FALSE:
                value = False
            else:
                raise _fail(var, given, raw, origin, "not a boolean")
        else:
            value = text
    elif isinstance(raw, bool):
        if var.kind is not Kind.BOOL:
            raise _fail(var, given, raw, origin, f"a boolean where {var.kind.value} is needed")
        value = raw
    elif isinstance(raw, int):
        if var.kind is Kind.INT:
            value = raw
        elif var.kind is Kind.FLOAT:
            value = float(raw)
        else:
            raise _fail(var, given, raw, origin, f"a number where {var.kind.value} is needed")
    elif isinstance(raw, float):
        if var.kind is not Kind.FLOAT:
            raise _fail(var, given, raw, origin, f"a number where {var.kind.value} is needed")
        value = raw
    else:
        raise _fail(var, given, raw, origin, f"a {type(raw).__name__} is not a value here")
    return _check(var, given, raw, origin, value)


def _check(var: Var, given: str, raw: object, origin: Origin, value: Value) -> Value:
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(var, given, raw, origin, "not a finite number")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if var.lo is not None and value < var.lo:
            raise _fail(var, given, raw, origin, "too small")
        if var.hi is not None and value > var.hi:
            raise _fail(var, given, raw, origin, "too large")
    if isinstance(value, str):
        if var.choices:
            for choice in var.choices:
                if value.lower() == choice.lower():
                    return choice
            raise _fail(var, given, raw, origin, "not a known value")
        if var.kind is Kind.PATH and not value:
            raise _fail(var, given, raw, origin, "an empty path")
    return value


def suggest(name: str, candidates: Iterable[str] | None = None) -> str:
    """' (did you mean A, B?)' for the closest valid names, or ''."""
    pool = list(candidates) if candidates is not None else [*BY_NAME, *ALIASES]
    by_upper = {c.upper(): c for c in pool}
    close = [by_upper[c] for c in difflib.get_close_matches(name.upper(), by_upper, 3, 0.6)]
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _known(name: str, origin: Origin) -> Var:
    var = lookup(name.upper())
    if var is None:
        raise ConfigError(f"unknown variable {name} in {origin.describe()}{suggest(name)}")
    return var


# ---- reading the layers ---------------------------------------------------------------------

# A layer: canonical name -> (name as given, raw value, origin).
Layer = dict[str, tuple[str, object, Origin]]


def _put(layer: Layer, var: Var, given: str, raw: object, origin: Origin) -> None:
    # The canonical name wins over an alias given in the same layer.
    if var.name in layer and given != var.name and layer[var.name][0] == var.name:
        return
    layer[var.name] = (given, raw, origin)


def read_toml(path: Path) -> Layer:
    """The variables of a TOML file: ``NAME = value`` at top level, or in ``[group]`` tables
    named as in ``bytebiota config --toml`` output."""
    origin = Origin(Source.FILE, str(path))
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    layer: Layer = {}
    group_names = [g for g, _ in GROUPS]
    for key, item in document.items():
        if isinstance(item, dict):
            if key not in group_names:
                raise ConfigError(
                    f"unknown table [{key}] in {path}{suggest(key.lower(), group_names)}; "
                    f"tables are: {', '.join(group_names)}"
                )
            for name, raw in item.items():
                var = _known(name, origin)
                if var.group != key:
                    raise ConfigError(
                        f"{name} in [{key}] of {path}: it belongs in [{var.group}]"
                    )
                _put(layer, var, name.upper(), raw, origin)
        else:
            _put(layer, _known(key, origin), key.upper(), item, origin)
    return layer


def find_dotenv(start: Path) -> Path | None:
    """The first ``.env`` in ``start`` or one of its parents."""
    for directory in (start, *start.parents):
        candidate = directory / ".env"
        if candidate.is_file():
            return candidate
    return None


def read_dotenv(path: Path, notices: list[str]) -> Layer:
    from dotenv import dotenv_values  # only read when a .env exists

    origin = Origin(Source.DOTENV, str(path))
    layer: Layer = {}
    for name, raw in dotenv_values(path).items():
        var = lookup(name)
        if var is None:
            hint = suggest(name)
            if hint:
                notices.append(f"{path} sets {name}, which ByteBiota does not read{hint}")
            continue
        _put(layer, var, name, raw if raw is not None else "", origin)
    return layer


def read_environ(environ: Mapping[str, str]) -> Layer:
    origin = Origin(Source.ENV, "the environment")
    layer: Layer = {}
    for name, raw in environ.items():
        var = lookup(name)
        if var is not None:
            _put(layer, var, name, raw, origin)
    return layer


def read_flags(settings: Iterable[str], named: Mapping[str, str]) -> Layer:
    """``--set NAME=VALUE`` entries (in order, the last wins), then the named flags."""
    layer: Layer = {}
    for item in settings:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE")
        var = _known(name, Origin(Source.FLAG, "--set"))
        layer[var.name] = (name.upper(), raw, Origin(Source.FLAG, f"--set {name}"))
    for flag, raw in named.items():
        var = BY_NAME[NAMED_FLAGS[flag]]
        layer[var.name] = (var.name, raw, Origin(Source.FLAG, flag))
    return layer


# ---- resolution -----------------------------------------------------------------------------


def _selector(name: str, layers: list[Layer]) -> tuple[Value, Origin]:
    """The effective value of a variable that selects a layer (REGIME, RESOURCE_PRESET)."""
    var = BY_NAME[name]
    for layer in reversed(layers):
        if name in layer:
            given, raw, origin = layer[name]
            return parse_value(var, raw, origin, given), origin
    return var.default, Origin(Source.DEFAULT)


def load(
    *,
    config_file: str | Path | None = None,
    settings: Iterable[str] = (),
    named_flags: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    use_dotenv: bool = True,
) -> Config:
    """Resolve the configuration from every layer. Raises ConfigError on any bad input."""
    notices: list[str] = []
    environ = os.environ if environ is None else environ
    user_layers: list[Layer] = []
    if config_file is not None:
        user_layers.append(read_toml(Path(config_file)))
    if use_dotenv:
        dotenv_path = find_dotenv((cwd or Path.cwd()).resolve())
        if dotenv_path is not None:
            user_layers.append(read_dotenv(dotenv_path, notices))
    user_layers.append(read_environ(environ))
    user_layers.append(read_flags(settings, named_flags or {}))

    regime, _ = _selector("REGIME", user_layers)
    preset, _ = _selector("RESOURCE_PRESET", user_layers)
    data_dir, _ = _selector("DATA_BASE_DIR", user_layers)
    machine = resources.detect(str(data_dir))
    concrete, preset_values = resources.resolve(str(preset), machine)
    preset_origin = Origin(Source.PRESET, f"preset {preset}" + (
        f" ({concrete})" if concrete != preset else ""))
    regime_layer: Layer = {
        name: (name, value, Origin(Source.REGIME, f"regime {regime}"))
        for name, value in REGIME_DEFAULTS[str(regime)].items()
    }
    preset_layer: Layer = {
        name: (name, value, preset_origin) for name, value in preset_values.items()
    }

    values: dict[str, Value] = {}
    origins: dict[str, Origin] = {}
    for var in VARIABLES:
        value: Value = var.default
        origin = Origin(Source.DEFAULT)
        # Only the topmost layer naming a variable is read: a bad value that a higher layer
        # overrides is not an error.
        for layer in reversed((preset_layer, regime_layer, *user_layers)):
            if var.name in layer:
                given, raw, origin = layer[var.name]
                value = parse_value(var, raw, origin, given)
                break
        values[var.name] = value
        origins[var.name] = origin
        if var.ignored and origin.source is not Source.DEFAULT:
            notices.append(f"{var.name} (from {origin.describe()}) is ignored: {var.replaced}")

    _derive_paths(values, origins)
    _cross_check(values, origins)
    return _built(values, origins, tuple(notices), machine)


def _built(values: dict[str, Value], origins: dict[str, Origin], notices: tuple[str, ...],
           machine: resources.Machine | None) -> Config:
    groups: dict[str, Any] = {}
    for group, cls in GROUP_CLASSES.items():
        members = {v.field: values[v.name] for v in VARIABLES if v.group == group}
        groups[group + "_" if group == "global" else group] = cls(**members)
    return Config(**groups, values=values, origins=origins, notices=notices, machine=machine)


DERIVED_PATHS = {
    # a run writes its journal in its own directory; this is where the latest one is
    "LOG_JSONL_PATH": ("runs", "latest", "journal.jsonl"),
    "CHECKPOINT_DIR": ("checkpoints",),
}


def _derive_paths(values: dict[str, Value], origins: dict[str, Origin]) -> None:
    base = Path(str(values["DATA_BASE_DIR"]))
    for name, parts in DERIVED_PATHS.items():
        if values[name] is None:
            values[name] = str(base.joinpath(*parts))
            origins[name] = Origin(Source.DEFAULT, "default (from DATA_BASE_DIR)")


def is_derived(origin: Origin) -> bool:
    return origin.source is Source.DEFAULT and bool(origin.detail)


ORDERED_PAIRS = (
    # (smaller, larger, what the pair means)
    ("MIN_BATCH_SIZE", "MAX_BATCH_SIZE", "the batch size range would be empty"),
    ("REPOPULATION_THRESHOLD", "REPOPULATION_STOP_THRESHOLD",
     "repopulation would stop before it starts"),
    ("ENERGY_INITIAL", "ENERGY_MAX", "a newborn would start above the energy cap"),
    ("CHILD_ENERGY_REQUIREMENT", "ENERGY_MAX", "no organism could ever divide"),
)


def _cross_check(values: dict[str, Value], origins: dict[str, Origin]) -> None:
    def show(name: str) -> str:
        return f"{name}={values[name]} (from {origins[name].describe()})"

    for small, large, meaning in ORDERED_PAIRS:
        a, b = values[small], values[large]
        assert isinstance(a, (int, float)) and isinstance(b, (int, float))
        if a > b:
            raise ConfigError(f"{show(small)} is above {show(large)}: {meaning}")
    address, size = values["ANCESTOR_LOAD_ADDRESS"], values["SOUP_SIZE"]
    assert isinstance(address, int) and isinstance(size, int)
    if address >= size:
        raise ConfigError(
            f"{show('ANCESTOR_LOAD_ADDRESS')} is outside the soup: {show('SOUP_SIZE')}"
        )


SECRETS = ("SERVER_TOKEN", "MONITOR_TOKEN")


def public_values(config: Config) -> dict[str, Value]:
    """Every value, secrets left out (unset): what journals, checkpoints and peers get."""
    return {name: (None if name in SECRETS else value) for name, value in config.values.items()}


def isolated(settings: Iterable[str] = (), named_flags: Mapping[str, str] | None = None
             ) -> Config:
    """A configuration from the given flags alone: no file, .env or environment (for
    recorded configurations and fixed workloads)."""
    return load(settings=settings, named_flags=named_flags, environ={}, use_dotenv=False)


def resumed(config: Config, recorded: Mapping[str, Value], names: Iterable[str]) -> Config:
    """``config`` with the variables ``names`` as ``recorded`` has them (a checkpoint's, for
    the world it holds): a resumed run is judged, classified and checkpointed as the world
    it continues, not by this invocation's defaults (REGIME's, among others)."""
    values, origins = dict(config.values), dict(config.origins)
    for name in names:
        if name in recorded and lookup(name) is not None:
            values[name] = recorded[name]
            origins[name] = Origin(Source.CHECKPOINT, "the run's checkpoint")
    return _built(values, origins, config.notices, config.machine)


def from_values(values: Mapping[str, Value]) -> Config:
    """The configuration a journal header or a server's WELCOME recorded, as given (every
    value at the flag layer, nothing read from files or the environment)."""
    settings = []
    for name, value in values.items():
        if lookup(name) is None:
            raise ConfigError(f"unknown variable {name} in a recorded configuration")
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        settings.append(f"{name}={text}")
    return isolated(settings)


# ---- output ---------------------------------------------------------------------------------


MASK = "********"


def _masked(name: str, value: Value, show_secrets: bool) -> Value:
    """A secret's value hidden (unless asked for): it must not reach a terminal, a log or a
    file others can read by accident."""
    return MASK if name in SECRETS and value is not None and not show_secrets else value


def to_json(config: Config, *, show_secrets: bool = False) -> str:
    """``{NAME: {"value": V, "source": S}}`` for every variable, in table order (secrets
    masked unless ``show_secrets``)."""
    document = {
        name: {"value": _masked(name, value, show_secrets),
               "source": config.origins[name].source.value}
        for name, value in config.values.items()
    }
    return json.dumps(document, indent=2)


def to_toml(config: Config, *, show_secrets: bool = False) -> str:
    """TOML that ``--config`` reads back to the same configuration.

    Every set value is written, grouped in ``[group]`` tables, so the file pins the whole
    configuration even if a later version changes a default. Left out: unset variables (TOML
    has no null; unset is their default), paths still derived from DATA_BASE_DIR (so they
    follow it), values that came from the resource preset (they describe the machine the
    file was written on, not the experiment: RESOURCE_PRESET is written and re-applies on the
    machine that reads the file) and replaced variables left at their default (they do
    nothing).
    """
    import tomli_w

    document: dict[str, dict[str, Value]] = {}
    for group, _ in GROUPS:
        table: dict[str, Value] = {}
        for var in VARIABLES:
            if var.group != group:
                continue
            value, origin = config.values[var.name], config.origins[var.name]
            if value is None or is_derived(origin) or origin.source is Source.PRESET:
                continue
            if var.ignored and origin.source is Source.DEFAULT:
                continue
            if var.name in SECRETS and not show_secrets:
                continue  # (written only on request, into a file of mode 0600)
            table[var.name] = value
        if table:
            document[group] = table
    header = "# ByteBiota configuration (bytebiota config --toml); read it with --config FILE\n"
    return header + tomli_w.dumps(document)


def to_text(config: Config, *, everything: bool = True, show_secrets: bool = False) -> str:
    """A table for people: group headers, then NAME, value, source per line."""
    lines: list[str] = []
    width = max(len(v.name) for v in VARIABLES)
    for group, title in GROUPS:
        rows = [v for v in VARIABLES if v.group == group]
        if not everything:
            rows = [v for v in rows if config.origins[v.name].source is not Source.DEFAULT]
        if not rows:
            continue
        lines.append(f"[{group}] {title}")
        for var in rows:
            value = config.values[var.name]
            source = config.origins[var.name].describe()
            if value is None:
                shown, source = "-", f"{source} (unset: {var.unset})"
            else:
                shown = _show(_masked(var.name, value, show_secrets))
            lines.append(f"  {var.name:<{width}}  {shown:<16}  {source}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _show(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dataclass_fields(group: str) -> list[str]:
    return [f.name for f in fields(GROUP_CLASSES[group])]


def command(args: Any, config: Config) -> None:
    """``bytebiota config``: print the effective configuration."""
    show = bool(getattr(args, "show_secrets", False))
    output = getattr(args, "output", None)
    if output is not None and not args.toml:
        raise UserError("config --output FILE writes the --toml form: add --toml")
    if args.toml and show and output is None:
        raise UserError("config --toml --show-secrets writes secrets only into a file of "
                        "mode 0600: add --output FILE")
    if args.json:
        print(to_json(config, show_secrets=show))
    elif args.toml:
        text = to_toml(config, show_secrets=show)
        if output is None:
            print(text, end="")
            return
        from bytebiota.netcommon import write_private

        try:
            write_private(Path(output), text)
        except OSError as exc:
            raise UserError(f"config --output {output}: {exc.strerror or exc}") from None
        print(f"configuration written to {output} (mode 0600)", file=sys.stderr)
    else:
        if config.values["RESOURCE_PRESET"] == "auto" and config.machine is not None:
            # diagnostics on stderr: stdout is the table alone, for scripts and pipes
            print("\n".join(resources.detection_report(config.machine)), file=sys.stderr)
        print(to_text(config, everything=not args.changed, show_secrets=show), end="")
