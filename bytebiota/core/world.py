"""One world (one island): the composition root of the core.

``World`` builds and holds the components and runs the scheduler; server, worker, ``run``,
``replay`` and ``bench`` use only the surface here (``run``, ``inject``, ``immigrate``,
``emigrants``, ``snapshot``, ``restore``, ``digest``, the statistics).

The components (docs/architecture.md draws who calls whom):

====================  ==========================================================  ==========
module                owns                                                        seed name
====================  ==========================================================  ==========
``params.py``         the parameters, built from the configuration table
``memory.py``         the soup, ownership map, free list, allocation             SoupMemory
``cells.py``          per-cell state (registers, stack, body, counters)          Organism
``vm.py``             ``run_slice``: the instruction loop, the one hot function  ISA
``templates.py``      template search
``slicer.py``         the ring of cells, the current slice                        Scheduler
``reaper.py``         the reaper queue, the ecology's sweep                      Reaper
``mutation.py``       flip and flaw schedules, indels                            MutationEngine
``life.py``           make cell, kill, MAL, DIVIDE, inject, spawn                OSCalls
``environment.py``    resource and signal fields, storage, event times           Environment
``energy.py``         the energy ledger, rent, boosts, starvation
``tasks.py``          the nine logic tasks and their rewards
``seedbank.py``       genomes kept for repopulation                              seed bank
``genebank.py``       genotypes, names, lineage                                  taxonomy
``snapshot.py``       snapshot, digest, restore
``stats.py``          statistics (never during a run)
====================  ==========================================================  ==========

Per instruction only ``vm.run_slice`` runs, with what it touches in locals; per event it
calls templates, mutation, reaper, life and tasks; per slice the scheduler (``run`` below)
calls energy (rent, boost, starvation), mutation (background flips, flaws) and, when due,
the environment's events. Statistics and snapshots never run during ``run``.

Determinism: every random draw comes from ``self.rng``; no float arithmetic feeds the
simulation except the slice length for SLICER_POWER != 1 (C ``pow``, computed once per cell),
the conversion of rates to integers at start, and the sweep's mean age and errors (IEEE
``+ * /`` only, the same everywhere). ``run(a); run(b)`` equals ``run(a + b)``, and
``restore(snapshot())`` continues exactly.
"""

from __future__ import annotations

from typing import final

from mypy_extensions import i64

from bytebiota.core import life, reaper, snapshot, stats
from bytebiota.core.arith import pow2
from bytebiota.core.cells import R_CSIZE, R_DSIZE, R_DSTART, R_IP, R_START, REG_W, Cells
from bytebiota.core.energy import Ledger
from bytebiota.core.environment import Environment
from bytebiota.core.genebank import Genebank
from bytebiota.core.memory import Memory
from bytebiota.core.mutation import ADJUST_INTERVAL, Mutation
from bytebiota.core.params import Params, SnapshotError
from bytebiota.core.reaper import ReaperQueue
from bytebiota.core.rng import Rng
from bytebiota.core.seedbank import SeedBank
from bytebiota.core.slicer import Slicer
from bytebiota.core.snapshot import restore
from bytebiota.core.tasks import Tasks
from bytebiota.core.vm import run_slice

# The core's public surface (server, worker, run, replay, bench use these names from here).
__all__ = ["Params", "Report", "SnapshotError", "World", "restore"]


@final
class Report:
    """What one ``run(n)`` did."""

    steps: i64
    births: i64
    deaths: i64
    new_genotypes: i64
    permanent: list[str]
    population: i64
    extinct: bool

    def __init__(self) -> None:
        self.steps = 0
        self.births = 0
        self.deaths = 0
        self.new_genotypes = 0
        self.permanent = []
        self.population = 0
        self.extinct = False


@final
class World:
    p: Params
    size: i64
    eco: i64  # 1: the ecology regime (energy, environment, tasks, sweep, seed bank)
    opcode_limit: i64  # bytes at or above this are not opcodes of the instruction set
    relabel: bool  # RELABEL_CHANGED_GENOMES
    rng: Rng
    genebank: Genebank
    mem: Memory
    cells: Cells
    slicer: Slicer
    reaper: ReaperQueue
    mut: Mutation
    env: Environment
    ledger: Ledger
    tasks: Tasks
    bank: SeedBank
    population: i64
    total_cell_bytes: i64
    search_limit: i64  # SEARCH_LIMIT_MULTIPLIER x the mean cell size
    steps: i64
    slices: i64
    births: i64
    deaths: i64
    reaped: i64
    spawned: i64
    births_at_check: i64
    repopulating: i64
    next_adjust: i64  # the next multiple of ADJUST_INTERVAL (rates per generation)
    new_permanent: list[str]
    # Who begets whom, for co-cultures (culture --with): (the mother's genotype, the
    # daughter's) -> daughters. Off unless asked for; not part of snapshots or digests.
    record_begets: bool
    begets: dict[tuple[str, str], i64]

    def __init__(self, params: Params, seed: int) -> None:
        # Every attribute is assigned from locals before anything is called on self, so
        # mypyc knows each one is always defined (no checks in the hot paths).
        rng = Rng(seed)
        cells = Cells()
        self.p = params
        self.size = params.soup_size
        self.eco = params.ecology
        self.opcode_limit = pow2(params.opcode_bits)
        self.relabel = params.relabel != 0
        self.rng = rng
        self.genebank = Genebank()
        self.mem = Memory(params.soup_size, params.max_occupancy, params.write_free != 0)
        self.cells = cells
        self.slicer = Slicer(cells, params.slicer_power, params.base_slice, params.max_slice,
                             params.slice_fixed, params.slice_random)
        self.reaper = ReaperQueue(cells, params.error_move_up, params.success_move_down,
                                  params.reap_top_fraction)
        self.mut = Mutation(params, rng)  # the RNG's first draws
        self.env = Environment(params)
        self.ledger = Ledger(params)
        self.tasks = Tasks(params)
        self.bank = SeedBank(params.seed_bank_size)
        self.population = 0
        self.total_cell_bytes = 0
        self.search_limit = 1
        self.steps = 0
        self.slices = 0
        self.births = 0
        self.deaths = 0
        self.reaped = 0
        self.spawned = 0
        self.births_at_check = 0
        self.repopulating = 0
        self.next_adjust = ADJUST_INTERVAL
        self.new_permanent = []
        self.record_begets = False
        self.begets = {}

    # ---- the scheduler -------------------------------------------------------------------

    def run(self, n: i64, slice_limit: i64 = -1) -> Report:
        """Execute ``n`` instructions (fewer if the soup dies out, or if ``slice_limit``
        slices end first) and report what happened."""
        report = Report()
        births0 = self.births
        deaths0 = self.deaths
        created0 = self.genebank.created
        self.new_permanent = []
        remaining = n
        slices_done: i64 = 0
        eco = self.eco != 0
        cells = self.cells
        slicer = self.slicer
        mut = self.mut
        env = self.env
        ledger = self.ledger
        adjusting = mut.per_generation
        ran: i64 = 0
        # issue 19's opt-in mechanisms (docs/ecology.md), off by default: in the ecology
        # regime one test of a local each per slice when off; none in the classic regime
        merit = ledger.merit  # TASK_REWARD_RULE=merit
        age_limit = ledger.age_limit  # AGE_LIMIT
        while remaining > 0:
            if self.population == 0:
                if eco:
                    life.spawn(self, self.p.repopulation_batch)
                if self.population == 0:
                    report.extinct = True
                    break
            c = slicer.cur
            if slicer.slice_left <= 0:
                n_slice = slicer.draw(c, self.rng)
                if eco:
                    if merit:
                        n_slice = ledger.merit_slice(cells, c, self.steps, n_slice,
                                                     self.population)
                    else:
                        n_slice = ledger.slice_length(cells, c, self.steps, n_slice)
                slicer.slice_left = n_slice
            if slicer.slice_left <= 0:
                ran = 0  # an empty slice (a random length of 0): nothing to run
            elif mut.flaw_cd == 1:
                op = i64(self.mem.soup[cells.regs[c * REG_W + R_IP]])
                ran = run_slice(self, c, 1, 0)
                mut.flaw(cells, self.rng, self.size, c, op)
            else:
                # cut the budget at the next background flip, flaw, environment event and
                # rate adjustment (and, in the ecology regime, at the slice's end)
                budget = remaining
                if eco and slicer.slice_left < budget:
                    budget = slicer.slice_left
                if 0 < mut.bg_cd < budget:
                    budget = mut.bg_cd
                if 0 < mut.flaw_cd <= budget:
                    budget = mut.flaw_cd - 1
                if eco and 0 <= env.next_event - self.steps < budget:
                    budget = env.next_event - self.steps
                if adjusting and self.next_adjust - self.steps < budget:
                    budget = self.next_adjust - self.steps
                # the classic regime: nothing but the slicer acts before the budget's end,
                # so run_slice starts the following slices itself (as below), up to the
                # slice limit (each slice it ends is counted in self.slices)
                switches: i64 = 0
                if not eco:
                    switches = budget
                    if slice_limit > 0:
                        switches = slice_limit - slices_done - 1
                slices0 = self.slices
                ran = run_slice(self, c, budget, switches)
                slices_done += self.slices - slices0
                if mut.flaw_cd > 0:
                    mut.flaw_cd -= ran
            self.steps += ran
            remaining -= ran
            if mut.bg_cd > 0:
                mut.bg_cd -= ran
                if mut.bg_cd == 0:
                    struck = mut.background_flip(self.mem, self.rng)
                    if self.relabel:
                        life.struck(self, struck)
            if adjusting and self.steps >= self.next_adjust:
                mut.adjust(cells, self.population, self.total_cell_bytes, self.size)
                self.next_adjust += ADJUST_INTERVAL
            if eco:
                died = False  # the current cell died (starved or reaped): the slicer moved on
                if slicer.slice_left <= 0:
                    if ledger.starves(cells, c):
                        died = life.kill(self, c)
                    elif age_limit > 0 and ledger.too_old(cells, c):
                        self.reaped += 1  # AGE_LIMIT: counted with the reaper's deaths
                        died = life.kill(self, c)
                if 0 <= env.next_event <= self.steps:
                    died = self._events() or died
                if died:
                    slicer.slice_left = 0
                    if ran > 0:
                        self.slices += 1
                        slices_done += 1
                        if slices_done == slice_limit:
                            break
                    continue
            if slicer.slice_left <= 0:
                slicer.advance()
                # An empty slice (a random length of 0) runs nothing and ends at once; it is
                # not counted (in ``slices`` or towards ``slice_limit``), so a run stopped by
                # its slices and one stopped by its steps at the same step are in the same
                # state: neither has started the empty slices that follow.
                if ran > 0:
                    self.slices += 1
                    slices_done += 1
                    if slices_done == slice_limit:
                        break
        report.steps = n - remaining
        report.births = self.births - births0
        report.deaths = self.deaths - deaths0
        report.new_genotypes = self.genebank.created - created0
        report.permanent = self.new_permanent
        report.population = self.population
        return report

    def _events(self) -> bool:
        """Whatever falls due at this step: regeneration, decay, the reaper's sweep, the
        stagnation check. Runs between slices (``run`` cuts budgets at next_event). Returns
        whether the current cell died."""
        env = self.env
        now = self.steps
        died = False
        if env.next_regen >= 0 and now >= env.next_regen:
            env.regenerate(now)
            env.next_regen = now + env.regen_interval
        if env.next_decay >= 0 and now >= env.next_decay:
            env.decay()
            env.next_decay = now + env.decay_interval
        if env.next_sweep >= 0 and now >= env.next_sweep:
            died = reaper.sweep(self)
            env.next_sweep = now + env.sweep_interval
        if env.next_stagnation >= 0 and now >= env.next_stagnation:
            self.bank.refresh(self.genebank)
            if self.births == self.births_at_check:
                life.spawn(self, self.p.stagnation_count)
            self.births_at_check = self.births
            env.next_stagnation = now + env.stagnation_interval
        env.schedule()
        return died

    def update_search_limit(self) -> None:
        if self.population > 0:
            mean = self.total_cell_bytes // self.population
            self.search_limit = max(1, self.p.search_mult * mean)

    def rebuild_derived(self) -> None:
        """Derive ownership, the free list, allocation, the search limit and the next
        adjustment of the mutation rates from the cells and the step (after a restore:
        snapshots leave them out)."""
        cells = self.cells
        total: i64 = 0
        for c in range(cells.nslots):
            if cells.alive[c] == 0:
                continue
            self.mem.claim(cells.regs[c * REG_W + R_START], cells.regs[c * REG_W + R_CSIZE], c)
            total += cells.regs[c * REG_W + R_CSIZE]
            if cells.regs[c * REG_W + R_DSTART] >= 0:
                self.mem.claim(cells.regs[c * REG_W + R_DSTART], cells.regs[c * REG_W + R_DSIZE], c)
        self.total_cell_bytes = total
        self.next_adjust = (self.steps // ADJUST_INTERVAL + 1) * ADJUST_INTERVAL
        self.ledger.merit_total = 0  # derived (the merit rule only), as is the price of the
        # current slice (kept in the cell's boost_left)
        if self.ledger.merit:
            for c in range(cells.nslots):
                if cells.alive[c] != 0:
                    self.ledger.merit_born(cells, c)
            if self.slicer.cur >= 0:
                self.ledger.price = cells.boost_left[self.slicer.cur]
        self.mem.rebuild_free_list()
        self.update_search_limit()

    # ---- the public surface --------------------------------------------------------------

    def inject(self, genome: bytes, address: i64 = -1) -> i64:
        """Place a genome in free memory (at ``address``, or the first fit) as a new cell.

        Returns its slot. Raises ValueError if it does not fit or holds non-opcode bytes.
        """
        return life.inject(self, genome, address)

    def immigrate(self, genome: bytes) -> bool:
        """Place an immigrant (a new cell at the bottom of the reaper queue) in the first free
        block that fits; False (and nothing changes) when none does or it is not a genome."""
        try:
            life.inject(self, genome, -1)
        except ValueError:
            return False
        return True

    def emigrants(self, k: i64) -> list[bytes]:
        """Genomes of ``k`` living cells drawn with the world's RNG (the cells stay): copies
        that travel to other islands. Deterministic given the world's state."""
        out: list[bytes] = []
        if self.population == 0:
            return out
        order = self.living()
        for _ in range(k):
            out.append(self.genome_of(order[self.rng.below(self.population)]))
        return out

    def living(self) -> list[i64]:
        """Living cells' slots in slicer order, starting at the current one."""
        return self.slicer.order(self.population)

    def reaper_order(self) -> list[i64]:
        """Living cells' slots from the top of the reaper queue down."""
        return self.reaper.order()

    def genome_of(self, c: i64) -> bytes:
        start = self.cells.regs[c * REG_W + R_START]
        return bytes(self.mem.soup[start : start + self.cells.regs[c * REG_W + R_CSIZE]])

    def size_classes(self) -> list[tuple[i64, i64]]:
        return stats.size_classes(self)

    def genotype_counts(self) -> list[tuple[str, i64, i64, str]]:
        """Living genotypes as (name, size, cells, parent), most cells first."""
        return stats.genotype_counts(self)

    def mutation_counts(self) -> dict[str, int]:
        return stats.mutation_counts(self)

    def task_counts(self) -> dict[str, int]:
        """For each task, the living cells that have performed it at least once."""
        return self.tasks.counts(self.cells)

    def ecology_stats(self) -> dict[str, object]:
        return stats.ecology_stats(self)

    def energy_ledger(self) -> dict[str, int]:
        return stats.energy_ledger(self)

    def seed_bank(self) -> list[tuple[str, i64, bytes]]:
        """The seed bank's entries: (name when banked, peak abundance, genome)."""
        return self.bank.entries()

    def snapshot(self) -> bytes:
        """Everything, RNG included, with a format version and a SHA-256 checksum."""
        return snapshot.snapshot(self)

    def digest(self) -> str:
        """SHA-256 (hex) of the full state: equal digests mean equal worlds."""
        return snapshot.digest(self)
