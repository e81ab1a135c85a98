"""The energy economy of the ecology regime: the ledger, rent, merit or boosts, starvation.

Owns the prices (in millionths, ``UNIT``: CPU per instruction, rent per byte per step,
harvest multiplier, endowment, ENERGY_MAX, the energy a daughter needs) and the ledger's
running totals.

Who calls: the VM charges the CPU cost in locals and inlines the harvest, and settles its
totals into the ledger at the end of a slice; the scheduler calls ``slice_length`` (rent,
boost; or ``merit_slice`` under the merit rule) at the start of a cell's slice and
``starves`` (then, with an AGE_LIMIT, ``too_old``) at its end; tasks.py credits rewards;
life.py endows injected cells, records what dead cells held and, under the merit rule, keeps
the total merit.

The seed's rule, TASK_REWARD_RULE=boost, is the default (``boost``: PRIORITY_BOOST_DURATION
slices at 1 + level times the length). The merit rule and AGE_LIMIT are opt-in (issue 19's
experiment, docs/ecology.md: its targets were not met); off, they cost the scheduler one
test of a local per slice in the ecology regime and nothing per instruction (the VM reads
``price``, which is ``e_cpu`` unless the merit rule sets it).

Merit (TASK_REWARD_RULE=merit): a cell's merit is 2 ** the sum of the levels of the distinct
tasks it performed in its last gestation (``merit_exponent``), set at DIVIDE for mother and
daughter (``set_merit``; the exponent is kept in ``boost_level``) and held until the
mother's next DIVIDE. A slice is the cell's share of the total merit: ``n x merit x
population / merit_total`` (at least 1), and its instructions cost CPU_COST x n / that length
each (the price of the slice, kept in ``boost_left``): every cell pays per round what a cell
of average merit pays, so a merit buys CPU time, not debt. ``merit_total`` is derived
(births, deaths, DIVIDE; rebuilt after a restore). A cell that runs more than AGE_LIMIT x
its size instructions without dividing dies at its slice's end (``too_old``; under the merit
rule its slices are cut there), as in Avida: a sterile daughter would otherwise hold its
mother's merit for ever.

Invariants: living energy == endowed + harvested + rewarded - cpu - rent - spilled - lost
(tests/test_energy.py); totals saturate at +-LEDGER_LIMIT alike in both cores; rent owed
beyond a cell's energy + ENERGY_MAX is forgiven (the cell is then ENERGY_MAX in debt: it
starves at its next slice end either way, and the product stays in 64 bits).
"""

from __future__ import annotations

from typing import Final, final

from mypy_extensions import i64

from bytebiota.core.arith import UNIT, ledger_add, pow2, units
from bytebiota.core.cells import R_CSIZE, R_DSIZE, R_ENERGY, R_EXECUTED, REG_W, Cells
from bytebiota.core.isa import TASKS
from bytebiota.core.params import Params

HARVEST_PRODUCT_MAX: Final = 1 << 62


def merit_exponent(done: i64) -> i64:
    """The sum of the levels of the tasks in the mask ``done`` (log2 of the merit)."""
    e: i64 = 0
    t: i64 = 0
    n = i64(len(TASKS))
    while t < n:  # (not ``for t in range``: mypyc boxes its variable at every turn)
        if (done >> t) & 1:
            e += i64(TASKS[t][1])
        t += 1
    return e


@final
class Ledger:
    e_initial: i64
    e_max: i64
    e_cpu: i64  # 0 in the classic regime (it has no energy)
    e_rent: i64
    e_harvest: i64
    e_child: i64
    small_harvest: bool  # take x HARVEST_MULTIPLIER fits in 63 bits: one multiply suffices
    boost_duration: i64
    price: i64  # CPU per instruction of the current slice: e_cpu, or under merit the slice's
    merit: bool  # TASK_REWARD_RULE=merit
    merit_total: i64  # the sum of the living cells' merits (merit rule only; derived)
    age_limit: i64  # AGE_LIMIT (0: none; the classic regime has none)
    endowed: i64
    harvested: i64
    rewarded: i64
    spent_cpu: i64
    spent_rent: i64
    spilled: i64
    lost: i64
    starved: i64

    def __init__(self, p: Params) -> None:
        self.e_initial = units(p.energy_initial)
        self.e_max = units(p.energy_max)
        self.e_cpu = units(p.cpu_cost) if p.ecology != 0 else 0
        self.e_rent = units(p.rent)
        self.e_harvest = units(p.harvest_multiplier)
        self.e_child = p.child_energy * UNIT
        r_yield = p.harvest_yield * UNIT
        self.small_harvest = r_yield <= HARVEST_PRODUCT_MAX // max(1, self.e_harvest)
        self.boost_duration = p.boost_duration
        self.price = self.e_cpu  # (merit_slice changes it under the merit rule)
        self.merit = p.merit != 0 and p.ecology != 0
        self.merit_total = 0
        self.age_limit = 0
        if p.ecology != 0:
            self.age_limit = p.age_limit
        self.endowed = 0
        self.harvested = 0
        self.rewarded = 0
        self.spent_cpu = 0
        self.spent_rent = 0
        self.spilled = 0
        self.lost = 0
        self.starved = 0

    def endow(self, cells: Cells, c: i64) -> None:
        """An injected or spawned cell starts with ENERGY_INITIAL."""
        cells.regs[c * REG_W + R_ENERGY] = self.e_initial
        self.endowed = ledger_add(self.endowed, self.e_initial)

    def credit(self, cells: Cells, c: i64, amount: i64) -> i64:
        """Add energy to cell c up to ENERGY_MAX; returns what was kept (the rest spills)."""
        room = self.e_max - cells.regs[c * REG_W + R_ENERGY]
        if room < 0:
            room = 0
        kept = amount if amount <= room else room
        cells.regs[c * REG_W + R_ENERGY] += kept
        self.spilled = ledger_add(self.spilled, amount - kept)
        return kept

    def forfeit(self, cells: Cells, c: i64) -> None:
        """Cell c died: what it held is lost."""
        self.lost = ledger_add(self.lost, cells.regs[c * REG_W + R_ENERGY])
        cells.regs[c * REG_W + R_ENERGY] = 0

    def settle(self, cpu: i64, harvested: i64, spilled: i64) -> None:
        """A slice's totals from the VM."""
        self.spent_cpu = ledger_add(self.spent_cpu, cpu)
        self.harvested = ledger_add(self.harvested, harvested)
        self.spilled = ledger_add(self.spilled, spilled)

    def settle_rent(self, cells: Cells, c: i64, now: i64) -> None:
        """Charge rent for the bytes cell c holds since it last paid (lazily, at its slices)."""
        held = cells.regs[c * REG_W + R_CSIZE] + cells.regs[c * REG_W + R_DSIZE]
        per_step = held * self.e_rent  # < 2**30 bytes x 10**9: fits
        steps = now - cells.paid_at[c]
        # Rent beyond the cell's energy plus ENERGY_MAX is forgiven: the cell is left at
        # least ENERGY_MAX in debt either way, and the product stays in 64 bits.
        ceiling: i64 = 0
        if cells.regs[c * REG_W + R_ENERGY] > 0:
            ceiling = cells.regs[c * REG_W + R_ENERGY]
        ceiling += self.e_max
        if per_step > 0 and steps > ceiling // per_step:
            owed = ceiling
        else:
            owed = per_step * steps
        cells.paid_at[c] = now
        cells.regs[c * REG_W + R_ENERGY] -= owed
        self.spent_rent = ledger_add(self.spent_rent, owed)

    def slice_length(self, cells: Cells, c: i64, now: i64, n: i64) -> i64:
        """Start cell c's slice of ``n`` instructions under the boost rule: settle its rent,
        apply a task boost; returns the length."""
        self.settle_rent(cells, c, now)
        if cells.boost_left[c] > 0:
            n *= 1 + cells.boost_level[c]
            cells.boost_left[c] -= 1
            if cells.boost_left[c] == 0:
                cells.boost_level[c] = 0
        return n

    def merit_slice(self, cells: Cells, c: i64, now: i64, n: i64, population: i64) -> i64:
        """Start cell c's slice of ``n`` instructions under the merit rule: settle its rent,
        give it its share of the total merit and set the slice's price per instruction (in
        ``boost_left``); returns the length. (The scheduler calls this or ``slice_length``:
        the boost rule, the default, pays no test of the rule per slice.)"""
        self.settle_rent(cells, c, now)
        # n x 2**e x population // merit_total without the up to 2**80 product
        q = n * pow2(cells.boost_level[c])
        total: i64 = 1
        if self.merit_total > 0:
            total = self.merit_total
        m = (q // total) * population + (q % total) * population // total
        if m < 1:
            m = 1
        # the slice's price per instruction: kept in the cell (snapshots) and in ``price``,
        # which the VM reads (World.rebuild_derived sets it again after a restore)
        self.price = self.e_cpu * n // m
        cells.boost_left[c] = self.price
        if self.age_limit > 0:  # no slice runs far past the age limit (a sterile cell
            # may hold a large merit): it ends one instruction past it
            rb = c * REG_W
            left = (self.age_limit * cells.regs[rb + R_CSIZE]
                    - (cells.regs[rb + R_EXECUTED] - cells.exec_mark[c]))
            if m > left + 1:
                m = left + 1
            if m < 1:
                m = 1
        return m

    def too_old(self, cells: Cells, c: i64) -> bool:
        """At the end of cell c's slice: it has run more than AGE_LIMIT x its size
        instructions since its birth or its last DIVIDE (Avida's AGE_LIMIT): it dies."""
        return (self.age_limit > 0 and cells.regs[c * REG_W + R_EXECUTED] - cells.exec_mark[c]
                > self.age_limit * cells.regs[c * REG_W + R_CSIZE])

    def starves(self, cells: Cells, c: i64) -> bool:
        """At the end of cell c's slice: a cell in debt at two slice ends in a row starves."""
        if cells.regs[c * REG_W + R_ENERGY] > 0:
            cells.arrears[c] = 0
            return False
        if cells.arrears[c] != 0:
            self.starved += 1
            return True
        cells.arrears[c] = 1
        return False

    def merit_born(self, cells: Cells, c: i64) -> None:
        """Cell c joins the living with its merit."""
        if self.merit:
            self.merit_total += pow2(cells.boost_level[c])

    def merit_died(self, cells: Cells, c: i64) -> None:
        if self.merit:
            self.merit_total -= pow2(cells.boost_level[c])

    def set_merit(self, cells: Cells, c: i64, e: i64) -> None:
        """Cell c's merit becomes 2 ** e (at DIVIDE)."""
        if self.merit:
            self.merit_total += pow2(e) - (pow2(cells.boost_level[c]))
            cells.boost_level[c] = e

    def boost(self, cells: Cells, c: i64, level: i64) -> None:
        """A task done (the boost rule): PRIORITY_BOOST_DURATION slices at (1 + the best
        level) x length."""
        if self.boost_duration > 0 and not self.merit:
            cells.boost_left[c] = self.boost_duration
            if level > cells.boost_level[c]:
                cells.boost_level[c] = level
