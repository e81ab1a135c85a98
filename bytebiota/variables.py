"""The configuration variables: one table, the single source of names, types and defaults.

Everything about configuration is driven by ``VARIABLES``: parsing of the TOML file, .env,
environment and ``--set`` values, range checks, the config dataclasses (a test checks that
their fields are exactly the table's), ``bytebiota config`` and ``docs/configuration.md``.

Sources: ``../shared/seeds/000_cac9c4fc58f01c6a.txt`` (the reference tables) for every name and
default, unless the entry is marked ``new``. Where that document gives two defaults for one
variable (its "Evolution Configuration Guide" and Core sections repeat some with other values),
the reference table of the variable's own section wins, and ``note`` records the other value.
Where the seed gives no default ("-" or "auto-detected"), the entry says what we chose.

Invariants: names are unique across names and aliases; every default satisfies its own
range and choices (tests/test_config.py checks both).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# The groups, in display order, each with the dataclass that carries it (see config.py).
GROUPS: tuple[tuple[str, str], ...] = (
    ("global", "Global simulation parameters: seed, length, regime, data directory"),
    ("soup", "Soup (memory)"),
    ("scheduler", "Scheduler (slicer)"),
    ("mutation", "Mutation"),
    ("reaper", "Reaper (mortality) and population control"),
    ("environment", "Environment: resources, gradients, signals, storage, tasks"),
    ("energy", "Energy economy"),
    ("evolution", "Evolution: seed bank"),
    ("ancestor", "Ancestor"),
    ("logging", "Logging and the run journal"),
    ("checkpoint", "Checkpoints"),
    ("server", "Server"),
    ("worker", "Worker: identity, resources, batching, execution"),
    ("network", "Network: protocol limits and authentication, shared by server, worker, monitor"),
)

LEVELS = ("core", "standard", "advanced")


class Kind(Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR = "str"
    PATH = "path"


@dataclass(frozen=True)
class Var:
    """One configuration variable.

    ``default`` None means "unset"; ``unset`` then says what that means (auto-detected,
    derived, unlimited...). ``lo``/``hi`` bound numbers (inclusive); ``choices`` bound strings.
    ``replaced`` marks a variable of the seed's web stack: accepted, documented, and either
    mapped (through ``aliases`` of the replacement) or ignored with a notice. ``no_effect``
    marks a variable of the seed that is accepted (a .env file naming it keeps working) and
    acts on nothing, with the reason; tests/test_operations.py checks that every other
    variable is read somewhere and that these are read nowhere.
    """

    name: str
    kind: Kind
    default: int | float | bool | str | None
    group: str
    level: str
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    unset: str = ""
    aliases: tuple[str, ...] = ()
    replaced: str = ""
    new: bool = False
    note: str = ""
    no_effect: str = ""

    @property
    def field(self) -> str:
        """The attribute name in the group's dataclass."""
        return self.name.lower()

    @property
    def optional(self) -> bool:
        return self.default is None

    @property
    def ignored(self) -> bool:
        return bool(self.replaced)

    def allowed(self) -> str:
        """What values are allowed, in words (used by errors and the docs)."""
        if self.kind is Kind.BOOL:
            text = "true or false"
        elif self.choices:
            text = "one of " + ", ".join(self.choices)
        elif self.kind in (Kind.INT, Kind.FLOAT):
            noun = "an integer" if self.kind is Kind.INT else "a number"
            if self.lo is not None and self.hi is not None:
                text = f"{noun} in {_num(self.lo)}..{_num(self.hi)}"
            elif self.lo is not None:
                text = f"{noun} >= {_num(self.lo)}"
            elif self.hi is not None:
                text = f"{noun} <= {_num(self.hi)}"
            else:
                text = noun
        elif self.kind is Kind.PATH:
            text = "a path"
        else:
            text = "a string"
        if self.optional:
            text += " (or empty for unset)"
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


# Short names keep the table one entry per screen line or two.
I, F, B, S, P = Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.STR, Kind.PATH  # noqa: E741
INT32_MAX = 2**31 - 1
UINT64_MAX = 2**64 - 1
# Bounds that keep every energy computation of the core inside 64-bit integers, so that the
# compiled and the pure core agree (docs/opcode-reference.md, "Arithmetic"): amounts of energy
# or resource, in units (the core counts millionths: at most 10**12), and per-instruction,
# per-byte-step and per-unit rates (at most 10**9 millionths).
ENERGY_LIMIT = 1_000_000
RATE_LIMIT = 1000.0
PRESETS = ("minimal", "background", "standard", "full", "auto")
REGIMES = ("ecology", "classic")
GUIDE_WINS = ("the seed's reference table gives {}; its Evolution Configuration Guide's "
              "recommendation is the default: {}")
REFERENCE_TABLE_WINS = "the seed's Evolution Configuration Guide gives {}; its reference table wins"

VARIABLES: tuple[Var, ...] = (
    # ---- global ---------------------------------------------------------------------------
    Var("SEED", I, None, "global", "standard", "Random seed for reproducible runs",
        lo=0, hi=UINT64_MAX, unset="a fresh seed is drawn at start and recorded in the journal"),
    Var("MAX_STEPS", I, None, "global", "standard",
        "Maximum simulation steps (one step is one executed instruction)",
        lo=1, hi=2**62, unset="run until stopped"),
    Var("CPU_THROTTLE_DELAY", F, 0.00001, "global", "standard",
        "Delay between simulation steps (seconds), applied once per batch of work, "
        "never inside the VM loop: `run` sleeps this long after each batch (at most 10 M "
        "instructions, less under a dashboard); workers throttle with CPU_PERCENT",
        lo=0.0, hi=10.0),
    Var("DATA_BASE_DIR", P, "data", "global", "core",
        "Base directory for all data files: runs/ (one directory per `run`), logs/, "
        "checkpoints/server/, checkpoints/worker/, cache/, reports/ (created on demand)"),
    Var("REGIME", S, "ecology", "global", "core",
        "Simulation regime: 'ecology' (ByteBiota's own: environment, energy, tasks) or "
        "'classic' (faithful to Tierra, see docs); a regime carries its own defaults",
        choices=REGIMES, new=True),
    # ---- soup -----------------------------------------------------------------------------
    Var("SOUP_SIZE", I, 5_000_000, "soup", "standard",
        "Total size of the organism memory soup in bytes", lo=256, hi=2**30),
    Var("MAX_OCCUPANCY_RATIO", F, 0.7, "soup", "standard",
        "Maximum allowed memory occupancy ratio: a MAL that would allocate more reaps first",
        lo=0.0, hi=1.0),
    Var("SEARCH_LIMIT_MULTIPLIER", I, 5, "soup", "advanced",
        "Template searches look this many times the mean cell size in each direction "
        "(Tierra 6.02: 5)", lo=1, hi=10_000, new=True),
    # ---- scheduler ------------------------------------------------------------------------
    Var("SLICER_POWER", F, 1.0, "scheduler", "standard",
        "Power of the genome size in a slice: slice = ceil(size ** power) + BASE_SLICE",
        lo=0.0, hi=2.0),
    Var("BASE_SLICE", I, 5, "scheduler", "standard",
        "Base number of instructions per time slice", lo=0, hi=1_000_000),
    Var("SLICE_FIXED_FRACTION", F, 1.0, "scheduler", "advanced",
        "A slice is this fraction of the length above (rounded down) plus a uniform draw "
        "in 0 .. SLICE_RANDOM_FRACTION x the length, at each slice (Tierra's SlicFixFrac)",
        lo=0.0, hi=10.0, new=True),
    Var("SLICE_RANDOM_FRACTION", F, 0.0, "scheduler", "advanced",
        "The random part of each slice, as a fraction of the length (Tierra's SlicRanFrac; "
        "Tierra 6.02's soup_in: 2, with a fixed fraction of 0 and a length of 25)",
        lo=0.0, hi=10.0, new=True),
    Var("MAX_SLICE", I, 1000, "scheduler", "advanced",
        "Cap on the instructions of one slice", lo=1, hi=1_000_000, new=True),
    Var("REPEAT_SLICES", I, None, "scheduler", "advanced",
        "Optional repeat slices for batching operations", lo=1, hi=1_000_000,
        unset="one slice per turn",
        no_effect="every cell gets one slice per turn, as in Tierra; the slice length is "
                  "set by SLICER_POWER, BASE_SLICE and MAX_SLICE"),
    # ---- mutation -------------------------------------------------------------------------
    Var("COPY_BIT_FLIP_RATE", F, 0.01, "mutation", "standard",
        "Probability that a byte copied by mov_iab has one bit flipped (0 = off)",
        lo=0.0, hi=1.0, note=GUIDE_WINS.format(
            "0.005", "with 0.005 (and indels at 0.14) a logic task evolved within 500 M "
            "instructions in 1 of 3 seeds; with the guide's 0.01 and 0.005 in 3 of 3 (NAND by "
            "9, 15 and 86 M; tools/ecology_targets.py)")),
    Var("BACKGROUND_FLIP_INTERVAL", I, 200_000, "mutation", "standard",
        "Mean instructions between background bit flips anywhere in the soup (0 = off)",
        lo=0, hi=2**40, note=REFERENCE_TABLE_WINS.format("500000 as a recommendation")),
    Var("INSERTION_DELETION_RATE", F, 0.005, "mutation", "standard",
        "Probability of an insertion or deletion at copy or divide (0 = off)",
        lo=0.0, hi=1.0, note=GUIDE_WINS.format(
            "0.14", "at 0.14 one birth in seven changes size and the ancestor's structure "
            "(its input block and filler) is lost within 50 M instructions")),
    Var("INDEL_INSERTION_BIAS", F, 0.6, "mutation", "standard",
        "Share of indels that are insertions (0.5 = unbiased)", lo=0.0, hi=1.0),
    Var("FLAW_RATE", F, 0.0, "mutation", "standard",
        "Probability that an instruction's result is off by one (0 = off)",
        lo=0.0, hi=1.0, new=True),
    Var("GENERATIONS_PER_COPY_FLIP", F, 0.0, "mutation", "advanced",
        "Copy flips per generation instead of per byte (Tierra's GenPerMovMut): one every "
        "this many x the mean cell size bytes copied, set every million instructions; "
        "replaces COPY_BIT_FLIP_RATE from the first million on (0 = the fixed rate)",
        lo=0.0, hi=1e6, new=True),
    Var("GENERATIONS_PER_BACKGROUND_FLIP", F, 0.0, "mutation", "advanced",
        "Background flips per generation (Tierra's GenPerBkgMut): one every this many x the "
        "instructions of a generation (cells x instructions per daughter) x mean cell size / "
        "SOUP_SIZE instructions, set every million instructions; replaces "
        "BACKGROUND_FLIP_INTERVAL from the first million on (0 = the fixed interval)",
        lo=0.0, hi=1e6, new=True),
    Var("GENERATIONS_PER_FLAW", F, 0.0, "mutation", "advanced",
        "Flaws per generation (Tierra's GenPerFlaw): one every this many x the instructions "
        "a cell executes per daughter, set every million instructions; replaces FLAW_RATE "
        "from the first million on (0 = the fixed rate)",
        lo=0.0, hi=1e6, new=True),
    Var("MAX_MAL_MULT", I, 6, "mutation", "standard",
        "MAL fails for a request above this multiple of the mother's size", lo=1, hi=100),
    Var("MAL_PLACEMENT", S, "random", "mutation", "standard",
        "Where MAL looks for room: 'near' the mother (first fit from her address), from a "
        "'random' address (offspring spread over the whole resource field), or the "
        "'better' fit anywhere (the smallest free block that fits: Tierra 6.02's MalMode 1)",
        choices=("near", "random", "better"), new=True),
    Var("MAL_REPLACES_DAUGHTER", B, False, "mutation", "advanced",
        "A MAL while the cell holds a daughter block frees that block and allocates anew "
        "(Tierra 6.02; a MAL of the same size as the block held fails); off: it fails",
        new=True),
    Var("RELABEL_CHANGED_GENOMES", B, False, "mutation", "advanced",
        "A cell whose genome changes in place (it writes into its own body, or a background "
        "flip strikes it) becomes a cell of the new genotype, as in Tierra (a death and a "
        "birth in the genebank, the old genotype its parent); off: it keeps its birth label",
        new=True),
    Var("WRITE_FREE_MEMORY", B, False, "mutation", "advanced",
        "mov_iab may write into free memory (Tierra's MemModeFree 0: only other cells' "
        "memory is protected); off: only into the cell's own memory and daughter block",
        new=True),
    Var("MUTATION_REACH", S, "bit", "mutation", "standard",
        "What a copy or background mutation does in the ecology regime: flip one 'bit' of "
        "the instruction set's six (each opcode has six neighbours; the classic regime "
        "always flips a bit), or replace the byte with 'any' other opcode, drawn uniformly "
        "(as Avida's substitutions: every instruction is one mutation away from every "
        "other; issue 19's experiment, docs/ecology.md)", choices=("bit", "any"), new=True),
    Var("EXECUTE_OWN_CODE", B, False, "mutation", "standard",
        "The ecology regime: a cell executes only its own body, as Avida's organisms do: "
        "its instruction pointer, past the body's end or sent outside it by a jump or a "
        "return, goes back to the body's start (off: it runs whatever code it reaches, as "
        "in Tierra, so fragments and parasites run other cells' code; issue 19's "
        "experiment, docs/ecology.md)", new=True),
    Var("COPY_ADVANCES", B, False, "mutation", "standard",
        "The ecology regime: mov_iab advances ax and bx by one after each copy, as Avida's "
        "h-copy advances its read and write heads, so a copy loop needs no inc_a and inc_b "
        "(the ecology147, ecology311 and ecology475 ancestors rely on it; off: mov_iab leaves "
        "them, as in Tierra; issue 19's experiment, docs/ecology.md)", new=True),
    # ---- reaper ---------------------------------------------------------------------------
    Var("ERROR_MOVE_UP", B, True, "reaper", "standard",
        "Move organisms up the reaper queue when an instruction errs"),
    Var("SUCCESS_MOVE_DOWN", B, True, "reaper", "standard",
        "Move organisms down the reaper queue on a successful MAL or DIVIDE"),
    Var("PROTECT_CURRENT_CALLER", B, True, "reaper", "standard",
        "Never reap the organism whose request triggered the reaping"),
    Var("AGE_ERROR_INTERVAL", I, 5000, "reaper", "standard",
        "Interval (steps) between age and error checks", lo=1, hi=2**40),
    Var("AGE_THRESHOLD_MULTIPLIER", F, 2.0, "reaper", "standard",
        "An organism older than this multiple of the mean age may be reaped",
        lo=0.0, hi=1000.0, note=REFERENCE_TABLE_WINS.format("3.0")),
    Var("ERROR_THRESHOLD_MULTIPLIER", F, 4.0, "reaper", "standard",
        "An organism with more errors than this multiple of the mean may be reaped",
        lo=0.0, hi=1000.0, note=REFERENCE_TABLE_WINS.format("2.0")),
    Var("MIN_POPULATION_FOR_REAP", I, 5, "reaper", "standard",
        "Minimum population before age/error reaping is allowed", lo=0, hi=INT32_MAX,
        note=REFERENCE_TABLE_WINS.format("50")),
    Var("MEMORY_REAP_THRESHOLD", F, 0.75, "reaper", "standard",
        "Soup occupancy ratio above which reaping is triggered", lo=0.0, hi=1.0),
    Var("REPOPULATION_THRESHOLD", I, 5, "reaper", "standard",
        "Population at or below which repopulation from the seed bank starts",
        lo=0, hi=INT32_MAX),
    Var("REPOPULATION_STOP_THRESHOLD", I, 50, "reaper", "standard",
        "Population at which repopulation stops", lo=0, hi=INT32_MAX),
    Var("REPOPULATION_BATCH", I, 5, "reaper", "standard",
        "Organisms spawned per repopulation batch", lo=1, hi=100_000),
    Var("STAGNATION_SPAWN_INTERVAL", I, 30000, "reaper", "standard",
        "Steps between spawns during stagnation", lo=1, hi=2**40),
    Var("STAGNATION_SPAWN_COUNT", I, 2, "reaper", "standard",
        "Organisms spawned during stagnation", lo=0, hi=100_000),
    Var("REAP_CHANCE", F, 0.01, "reaper", "standard",
        "Probability that the reaper's sweep (every AGE_ERROR_INTERVAL steps) kills a cell "
        "that is old, error-prone or stalled", lo=0.0, hi=1.0,
        note=GUIDE_WINS.format(
            "0.5", "at 0.5 the sweep kills most cells past twice the mean age, deaths are "
            "reaping rather than starvation, and the population stays near 150; at 0.01 "
            "energy limits it (200-1,000 cells) and selection acts through the economy")),
    Var("REAP_TOP_FRACTION", F, 0.0, "reaper", "standard",
        "The reaper's victim is drawn at random from this top fraction of its queue "
        "(0 = always the top; Tierra: 0.3)", lo=0.0, hi=1.0, new=True),
    Var("REPRO_TIMEOUT_STEPS", I, 20000, "reaper", "standard",
        "Steps a pending daughter may wait for DIVIDE before its memory is reclaimed",
        lo=1, hi=2**40),
    Var("AGE_LIMIT", I, 0, "reaper", "standard",
        "The ecology regime: a cell that runs more than this many times its size in "
        "instructions without dividing dies at the end of its slice (0 = never; Avida's "
        "AGE_LIMIT, whose default is 20: issue 19's experiment, where a sterile daughter "
        "would otherwise hold its mother's merit for ever, docs/ecology.md)",
        lo=0, hi=1_000_000, new=True),
    # ---- environment ----------------------------------------------------------------------
    Var("ENV_LENGTH", I, 4096, "environment", "standard",
        "Length of the environmental resource field (cells mapped onto the soup)",
        lo=1, hi=2**24),
    Var("ENV_REGEN_INTERVAL", I, 3000, "environment", "standard",
        "Steps between resource regenerations", lo=1, hi=2**40),
    Var("ENV_REGEN_AMOUNT", I, 50, "environment", "standard",
        "Resource regenerated per field cell per interval (times the gradient's factor)",
        lo=0, hi=ENERGY_LIMIT,
        note="changed from the seed's 10: with 10 per 3,000 steps (4 outside hotspots) a cell "
             "could not earn its CPU cost at low density and populations stayed below 60, "
             "kept alive by repopulation; 50 refills a field cell at each interval"),
    Var("ENV_SIGNAL_DECAY_INTERVAL", I, 2000, "environment", "standard",
        "Steps between signal decays", lo=1, hi=2**40),
    Var("ENV_SIGNAL_DECAY_FACTOR", F, 0.5, "environment", "standard",
        "Factor signals are multiplied by at each decay", lo=0.0, hi=1.0),
    Var("ENV_HARVEST_YIELD", I, 10, "environment", "standard",
        "Resource taken by one harvest", lo=0, hi=ENERGY_LIMIT,
        note=REFERENCE_TABLE_WINS.format("100")),
    Var("ENV_MAX_RESOURCE", I, 50, "environment", "standard",
        "Maximum resource held by one cell of the field", lo=0, hi=ENERGY_LIMIT),
    Var("ENV_TASK_REWARD", I, 60, "environment", "standard",
        "Resource reward for completing a task", lo=0, hi=ENERGY_LIMIT),
    Var("ENV_STORAGE_SLOTS", I, 256, "environment", "advanced",
        "Number of storage slots available", lo=0, hi=2**20),
    Var("ENV_ENABLE_GRADIENTS", B, True, "environment", "standard",
        "Enable resource gradients"),
    Var("ENV_GRADIENT_TYPE", S, "hotspot", "environment", "advanced",
        "Type of gradient", choices=("sine", "linear", "hotspot")),
    Var("ENV_GRADIENT_AMPLITUDE", F, 0.6, "environment", "standard",
        "Amplitude of gradient variation", lo=0.0, hi=1.0),
    Var("ENV_HOTSPOT_COUNT", I, 5, "environment", "standard",
        "Number of resource hotspots", lo=0, hi=100_000),
    Var("ENV_HOTSPOT_SIZE", I, 80, "environment", "standard",
        "Size of each hotspot (field cells)", lo=1, hi=2**24),
    Var("ENV_GRADIENT_PERIOD", I, 1000, "environment", "advanced",
        "Period (steps) of moving gradients", lo=1, hi=2**40),
    # ---- energy ---------------------------------------------------------------------------
    Var("ENERGY_INITIAL", I, 200, "energy", "standard",
        "Initial energy of new organisms", lo=0, hi=ENERGY_LIMIT,
        note=REFERENCE_TABLE_WINS.format("500 (above ENERGY_MAX's 400)")),
    Var("ENERGY_MAX", I, 400, "energy", "standard", "Maximum energy of one organism",
        lo=1, hi=ENERGY_LIMIT),
    Var("CPU_COST_PER_INSTRUCTION", F, 0.04, "energy", "standard",
        "Energy cost per executed instruction, times the opcode family's multiplier",
        lo=0.0, hi=RATE_LIMIT, note=REFERENCE_TABLE_WINS.format("0.005")),
    Var("MEMORY_RENT_PER_BYTE", F, 0.00001, "energy", "standard",
        "Energy cost per byte held (own memory and daughter block) per step of the world's "
        "clock, settled at each of the cell's slices", lo=0.0, hi=RATE_LIMIT,
        note="changed from the seed's 0.0025 (its guide: 0.0001): rent accrues with the "
             "world's clock, so a 97-byte cell pays it for every instruction any cell runs; "
             "at 0.0025 it owes 230 energy per round among only 10 cells and every ancestor "
             "starved"),
    Var("HARVEST_MULTIPLIER", F, 1.2, "energy", "standard",
        "Energy gained per unit of harvested resource", lo=0.0, hi=RATE_LIMIT),
    Var("TASK_BONUS", I, 60, "energy", "standard", "Energy bonus for completing a task",
        lo=0, hi=ENERGY_LIMIT),
    Var("CHILD_ENERGY_REQUIREMENT", I, 25, "energy", "standard",
        "Minimum energy a mother needs to divide (handed to the daughter)",
        lo=0, hi=ENERGY_LIMIT),
    Var("PRIORITY_BOOST_DURATION", I, 5, "energy", "standard",
        "Slices of CPU priority boost after a task completion", lo=0, hi=1_000_000),
    Var("TASK_REWARD_RULE", S, "boost", "energy", "standard",
        "How a logic task pays: 'boost' (the seed's: ENV_TASK_REWARD and TASK_BONUS in "
        "energy, and PRIORITY_BOOST_DURATION slices at 1 + the task's level times the "
        "length) or 'merit' (as Avida's, issue 19's experiment, docs/ecology.md: at DIVIDE "
        "mother and daughter get a CPU share of 2 ** the sum of the levels of the distinct "
        "tasks done in the gestation just ended, held until the next DIVIDE, at the energy "
        "price of an average share; the energy rewards are paid too, the boost is not)",
        choices=("boost", "merit"), new=True),
    # ---- evolution ------------------------------------------------------------------------
    Var("SEED_BANK_SIZE", I, 2000, "evolution", "standard",
        "Genotypes kept in the seed bank", lo=0, hi=10_000_000),
    # ---- ancestor -------------------------------------------------------------------------
    Var("ANCESTOR", S, "ecology", "ancestor", "standard",
        "The genome a run starts from: a shipped ancestor's name or a .asm/.bin file",
        new=True),
    Var("ANCESTOR_SIZE_LIMIT", I, 200, "ancestor", "standard",
        "Maximum size of an ancestor genome", lo=12, hi=1_000_000),
    Var("ANCESTOR_LOAD_ADDRESS", I, 0, "ancestor", "advanced",
        "Soup address where the first ancestor is loaded", lo=0, hi=2**30),
    # ---- logging --------------------------------------------------------------------------
    Var("LOG_INTERVAL_SLICES", I, 10000, "logging", "standard",
        "Journal a stats event every N slices", lo=1, hi=2**40),
    Var("LOG_JSONL_PATH", P, None, "logging", "standard",
        "Path of the JSONL run journal; unset, each run writes journal.jsonl in its own "
        "directory, and runs/latest/journal.jsonl is the latest run's",
        unset="{DATA_BASE_DIR}/runs/latest/journal.jsonl"),
    Var("ECOTYPE_SHARE", F, 0.05, "logging", "standard",
        "Share of a run's instructions (the server: of its experiment's) that the background "
        "classification of newly permanent genotypes (`ecotype` journal events: parasite, "
        "hyper-parasite ...) may add; 0 turns it off (classic regime only)",
        lo=0.0, hi=1.0, new=True),
    Var("CONSOLE_SUMMARY", B, True, "logging", "advanced",
        "Print periodic summary lines on the console"),
    Var("REFRESH_HZ", F, 4.0, "logging", "standard",
        "Dashboard refreshes per second, at most", lo=0.5, hi=60.0, new=True),
    Var("LOG_LEVEL", S, "INFO", "logging", "standard",
        "Level of the server's and workers' log lines on stderr (warnings name "
        "themselves; the time is left out under systemd, whose journal stamps each line)",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        note="the seed gives no default; INFO chosen"),
    # ---- checkpoint -----------------------------------------------------------------------
    Var("CHECKPOINT_ENABLED", B, True, "checkpoint", "standard", "Enable checkpointing"),
    Var("CHECKPOINT_DIR", P, None, "checkpoint", "standard",
        "Directory for checkpoint files; the server writes to server/ and workers to "
        "worker/ under it; a `run` keeps its checkpoints in its own run directory unless "
        "this is set (then that directory is the run's)", unset="{DATA_BASE_DIR}/checkpoints",
        note="the seed gives {data_dir}/checkpoints, and {data_dir}/checkpoints/worker for "
        "workers: one variable, with server/ and worker/ below it"),
    Var("CHECKPOINT_CADENCE_SECONDS", I, 120, "checkpoint", "standard",
        "Seconds between checkpoints of a local run (0: after every stats event, for tests "
        "and tiny runs)", lo=0, hi=10_000_000),
    Var("CHECKPOINT_KEEP_LAST_N", I, 10, "checkpoint", "advanced",
        "Number of checkpoints to retain", lo=1, hi=100_000),
    # ---- server ---------------------------------------------------------------------------
    Var("SERVER_HOST", S, "127.0.0.1", "server", "standard",
        "Server listen address: loopback only by default; 0.0.0.0 (every interface) lets "
        "workers on other machines connect (docs/deployment.md)",
        note="the seed's default is 0.0.0.0; a server reachable from everywhere is now a "
             "choice made in one variable rather than the default"),
    Var("SERVER_PORT", I, 8080, "server", "standard",
        "Server port number (0 picks a free port and logs it)", lo=0, hi=65535),
    Var("MAX_WORKERS", I, 100, "server", "standard", "Maximum number of connected workers",
        lo=1, hi=1_000_000),
    Var("WORKER_TIMEOUT", F, 60.0, "server", "standard",
        "Seconds without a heartbeat after which a worker's leases expire",
        lo=1.0, hi=86400.0, note="the seed gives no default; 60 s (6 heartbeats) chosen"),
    Var("CHECKPOINT_INTERVAL", I, 300, "server", "standard",
        "Seconds between server checkpoints", lo=1, hi=10_000_000),
    Var("HANDSHAKE_TIMEOUT", F, 10.0, "server", "advanced",
        "Seconds a new connection has to complete HELLO and AUTH before it is dropped",
        lo=0.1, hi=3600.0, new=True),
    Var("MAX_PENDING_CONNECTIONS", I, 256, "server", "advanced",
        "Connections still in their handshake at once; more are closed on arrival (each "
        "holds at most 64 KiB until it is authenticated)", lo=1, hi=1_000_000, new=True),
    Var("AUTH_FAILURE_BURST", I, 10, "server", "advanced",
        "Failed handshakes or protocol errors one address may cause in a burst before its "
        "new connections are refused", lo=1, hi=1_000_000, new=True),
    Var("AUTH_FAILURE_RATE", F, 0.5, "server", "advanced",
        "Failures per second an address is forgiven (the burst refills at this rate)",
        lo=0.0, hi=1_000_000.0, new=True),
    Var("VALIDATION_RATE", F, 0.05, "server", "standard",
        "Fraction of the batches re-run by a second worker to check the first one's result "
        "(0 = trust every worker; 1 = check everything, at twice the computing cost); a "
        "worker whose result the server's own re-run of a dispute contradicts is quarantined "
        "(docs/deployment.md)",
        lo=0.0, hi=1.0, new=True),
    Var("WORKER_ENROLMENT", S, "token", "server", "standard",
        "How a new worker gets its own credential: token (SERVER_TOKEN holders enrol "
        "themselves on first contact, for small trusted setups) or operator (only "
        "`bytebiota server enroll NAME` issues credentials)",
        choices=("token", "operator"), new=True),
    Var("MAX_LEASES_PER_WORKER", I, 4, "server", "advanced",
        "Islands one worker may hold at once (also at most the cores it reports)",
        lo=1, hi=4096, new=True),
    Var("ISLANDS", I, None, "server", "standard", "Number of islands of the experiment",
        lo=1, hi=1_000_000, unset="MAX_WORKERS or 8, whichever is smaller", new=True),
    Var("ENABLE_WEB_UI", B, True, "server", "advanced", "Enable web user interface",
        replaced="no web UI: `bytebiota monitor` is the dashboard; ignored with a notice"),
    Var("STATIC_DIR", P, None, "server", "advanced", "Directory for static web assets",
        unset="none", replaced="no web UI; ignored with a notice"),
    Var("TEMPLATE_DIR", P, None, "server", "advanced", "Directory for web templates",
        unset="none", replaced="no web UI; ignored with a notice"),
    Var("WEBSOCKET_ENABLED", B, True, "server", "advanced", "Enable WebSocket communication",
        replaced="the TCP protocol is always on; ignored with a notice"),
    # ---- worker ---------------------------------------------------------------------------
    Var("WORKER_ID", S, None, "worker", "core", "Custom worker identifier",
        unset="a stable machine-based id"),
    Var("RESOURCE_PRESET", S, "auto", "worker", "core",
        "Resource preset: sets CPU_PERCENT, MEMORY_MB, DISK_MB, BATCH_SIZE and WORKER_JOBS",
        choices=PRESETS,
        note="the seed's worker table gives 'standard'; its Core table's 'auto' wins"),
    Var("CPU_PERCENT", F, None, "worker", "core", "CPU usage limit (percent)",
        lo=1.0, hi=100.0, unset="from the resource preset"),
    Var("MEMORY_MB", I, None, "worker", "core", "Memory limit in MB", lo=16, hi=2**40,
        unset="from the resource preset",
        no_effect="presets compute it and `config` shows it, but nothing enforces it: an "
                  "island's memory follows from SOUP_SIZE"),
    Var("DISK_MB", I, None, "worker", "core", "Disk usage limit in MB", lo=16, hi=2**40,
        unset="from the resource preset",
        no_effect="presets compute it and `config` shows it, but nothing enforces it: a "
                  "worker's disk use is bounded by OFFLINE_CACHE_MAX_MB"),
    Var("WORKER_JOBS", I, None, "worker", "core",
        "Island processes a worker runs (`worker --jobs N`), one connection each; also "
        "the islands `run` runs by default (`run --jobs N`: 1 is the one-island run)",
        lo=1, hi=1024, unset="from the resource preset", new=True),
    Var("POLL_INTERVAL", F, 1.0, "worker", "core", "Seconds between work requests when idle",
        lo=0.01, hi=3600.0),
    Var("BATCH_SIZE", I, 8, "worker", "core",
        "Starting batch size (work cycles per report); adapted toward TARGET_INTERVAL_SECONDS",
        lo=1, hi=1_000_000),
    Var("MIN_BATCH_SIZE", I, 8, "worker", "core", "Minimum batch size", lo=1, hi=1_000_000),
    Var("MAX_BATCH_SIZE", I, 200, "worker", "core", "Maximum batch size", lo=1, hi=1_000_000),
    Var("TARGET_INTERVAL_SECONDS", I, 300, "worker", "core",
        "Target seconds per batch for adaptive batching", lo=1, hi=86400),
    Var("ADJUSTMENT_FACTOR", F, 0.15, "worker", "standard",
        "How far one adjustment moves the batch size toward its target", lo=0.0, hi=1.0),
    Var("WORK_RATE_THRESHOLD", I, 200, "worker", "standard",
        "Work rate threshold for batching", lo=0, hi=2**40,
        no_effect="adaptive batching aims at TARGET_INTERVAL_SECONDS per report instead"),
    Var("CONFIG_SYNC_INTERVAL", I, 50, "worker", "standard",
        "Batches between configuration syncs with the server", lo=1, hi=1_000_000,
        no_effect="the server sends the experiment's configuration when a session opens "
                  "(WELCOME), and an experiment's configuration never changes while it runs"),
    Var("BULK_ASSIGNMENT", B, True, "worker", "standard",
        "Take several islands per assignment when the worker has cores to spare",
        no_effect="a worker process asks for one island at a time and holds up to 4, run "
                  "in turn; `worker --jobs N` (WORKER_JOBS) uses more cores"),
    Var("BULK_POLL_INTERVAL", I, 300, "worker", "standard",
        "Seconds between bulk assignment polls", lo=1, hi=86400,
        no_effect="there are no bulk assignments: a worker holding fewer than 4 islands "
                  "asks for one more every 5 s (see BULK_ASSIGNMENT)"),
    Var("ADAPTIVE_BATCHING", B, True, "worker", "advanced", "Adaptive batching (legacy)",
        replaced="adaptive batching is always on; ignored with a notice"),
    Var("WORK_CYCLE_DELAY", F, 0.0, "worker", "standard",
        "Seconds to sleep between work cycles", lo=0.0, hi=3600.0,
        note="the seed gives no default; 0 chosen",
        no_effect="workers pause as CPU_PERCENT and THROTTLE_SLEEP_MS say instead"),
    Var("THROTTLE_SLEEP_MS", F, None, "worker", "advanced",
        "Sleep per throttling pause in milliseconds", lo=0.0, hi=60_000.0,
        unset="computed from CPU_PERCENT"),
    Var("DISABLE_THROTTLE", B, False, "worker", "standard", "Disable resource throttling"),
    Var("LOCAL_SOUP_SIZE", I, None, "worker", "advanced",
        "Soup size of a worker's islands", lo=256, hi=2**30, unset="SOUP_SIZE",
        no_effect="an island's world is the server's (its SOUP_SIZE), so that every island "
                  "of an experiment is the same world wherever it runs"),
    Var("MAX_WORK_CYCLES", I, None, "worker", "advanced",
        "Work cycles after which the worker restarts", lo=1, hi=2**62, unset="never",
        no_effect="workers do not restart themselves; systemd restarts one that fails "
                  "(Restart=on-failure), `worker --jobs N` a job that exits"),
    Var("ERROR_THRESHOLD", I, 10, "worker", "advanced",
        "Consecutive errors after which the worker restarts", lo=1, hi=1_000_000,
        note="the seed gives no default; 10 chosen",
        no_effect="a worker reconnects after any error with exponential backoff; "
                  "RECONNECT_MAX_ATTEMPTS bounds the attempts"),
    Var("OFFLINE_CACHE_MAX_MB", I, 100, "worker", "standard",
        "Maximum size of the offline report cache in MB", lo=1, hi=2**30,
        note="the seed gives no default; 100 chosen"),
    Var("ADAPTIVE_HEARTBEAT", B, False, "worker", "advanced",
        "Adapt the heartbeat interval to the measured round-trip time",
        no_effect="heartbeats keep HEARTBEAT_INTERVAL, which the server's WORKER_TIMEOUT is "
                  "set against; the round trip is measured and logged at exit"),
    Var("WEBSOCKET_URL", S, None, "worker", "advanced", "WebSocket URL for workers",
        unset="none", replaced="workers connect over TCP to SERVER_URL; ignored with a notice"),
    # ---- network --------------------------------------------------------------------------
    Var("SERVER_URL", S, "localhost:8080", "network", "core",
        "Server to connect to: host:port or tcp://host:port (a legacy http:// URL is read "
        "for its host and port)",
        note="the seed's default is http://localhost:8080: same host and port, TCP transport"),
    Var("BYTEBIOTA_SERVER_URL", S, None, "network", "advanced",
        "Server URL for testing and monitoring tools", unset="SERVER_URL",
        aliases=("BYTEBIOta_SERVER_URL",),
        note="the seed spells it BYTEBIOta_SERVER_URL; both spellings are read"),
    Var("HEARTBEAT_INTERVAL", F, 10.0, "network", "core", "Heartbeat interval in seconds",
        lo=0.05, hi=3600.0,
        note="the seed's Core and server tables say auto-detected or -; its worker table's "
        "10.0 wins"),
    Var("SERVER_TOKEN", S, None, "network", "standard",
        "Shared secret proving server and workers belong to one experiment (HMAC, never "
        "sent in clear)", unset="generated by the server on first start and stored under "
        "DATA_BASE_DIR with mode 0600", new=True),
    Var("MONITOR_TOKEN", S, None, "network", "standard",
        "Read-only secret for `status` and `monitor`: it opens monitor sessions and can "
        "never lease an island (SERVER_TOKEN opens them too)", unset="generated by the "
        "server on first start and stored in DATA_BASE_DIR/monitor.token with mode 0600",
        new=True),
    Var("WORKER_CREDENTIAL", S, None, "network", "standard",
        "File holding this worker's own credential (from `bytebiota server enroll NAME`, "
        "mode 0600); its name is the worker's id", unset="DATA_BASE_DIR/credentials/"
        "worker-WORKER_ID.credential, written when the server enrols the worker by "
        "SERVER_TOKEN", new=True),
    Var("MAX_MESSAGE_SIZE", I, 64 * 2**20, "network", "advanced",
        "Largest protocol frame accepted, in bytes; checked as soon as a header arrives",
        lo=1024, hi=2**31 - 1, aliases=("WEBSOCKET_MAX_MESSAGE_SIZE",), new=True,
        note="replaces WEBSOCKET_MAX_MESSAGE_SIZE (read as an alias); 64 MiB holds a "
        "snapshot of a 5 MB soup with room to spare"),
    Var("COMPRESSION_THRESHOLD", I, 4096, "network", "advanced",
        "Frames with a payload above this many bytes are compressed", lo=0, hi=2**31 - 1,
        aliases=("WEBSOCKET_COMPRESSION_THRESHOLD",), new=True,
        note="replaces WEBSOCKET_COMPRESSION_THRESHOLD (read as an alias)"),
    Var("RECONNECT_MAX_ATTEMPTS", I, 0, "network", "advanced",
        "Reconnection attempts before a worker or monitor gives up (0 = never give up)",
        lo=0, hi=1_000_000, aliases=("WEBSOCKET_RECONNECT_MAX_ATTEMPTS",), new=True,
        note="replaces WEBSOCKET_RECONNECT_MAX_ATTEMPTS (read as an alias)"),
)

BY_NAME: dict[str, Var] = {v.name: v for v in VARIABLES}
ALIASES: dict[str, str] = {a: v.name for v in VARIABLES for a in v.aliases}

# Variables of the seed that are not ByteBiota's to read, with the reason.
NOT_OURS: tuple[tuple[str, str], ...] = (
    ("PYTHONPATH", "Python's own module search path; a `make install`ed ByteBiota needs none"),
)


def lookup(name: str) -> Var | None:
    """The variable called ``name`` (or one of its aliases), or None."""
    var = BY_NAME.get(name)
    if var is None and name in ALIASES:
        var = BY_NAME[ALIASES[name]]
    return var
