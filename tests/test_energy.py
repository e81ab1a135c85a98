"""core/energy.py: the ledger, credit and spill, rent, boosts and starvation."""

from __future__ import annotations

from bytebiota.core.arith import LEDGER_LIMIT, UNIT, ledger_add
from bytebiota.core.cells import Cells
from bytebiota.core.energy import Ledger
from bytebiota.simulation import default_params


def setup(**changes: float) -> tuple[Ledger, Cells, int]:
    ledger = Ledger(default_params("ecology").replace(**changes))
    cells = Cells()
    c = cells.new_slot()
    cells.reset(c, 0, 100, born=0)
    cells.set_reg(c, "slice_len", 105)
    return ledger, cells, c


def test_the_classic_regime_charges_no_cpu() -> None:
    assert Ledger(default_params("classic")).e_cpu == 0


def test_credit_stops_at_energy_max_and_the_rest_spills() -> None:
    ledger, cells, c = setup(energy_max=400.0)
    cells.set_reg(c, "energy", 390 * UNIT)
    assert ledger.credit(cells, c, 25 * UNIT) == 10 * UNIT
    assert cells.reg(c, "energy") == 400 * UNIT and ledger.spilled == 15 * UNIT


def test_rent_is_charged_per_byte_per_step_since_the_last_payment() -> None:
    ledger, cells, c = setup(rent=0.01)
    cells.set_reg(c, "energy", 100 * UNIT)
    cells.set_reg(c, "dsize", 50)  # a daughter block pays rent too
    ledger.settle_rent(cells, c, 100)
    assert cells.reg(c, "energy") == (100 - 150) * UNIT  # 150 bytes x 0.01 x 100 steps
    assert cells.paid_at[c] == 100 and ledger.spent_rent == 150 * UNIT


def test_rent_beyond_energy_plus_energy_max_is_forgiven() -> None:
    ledger, cells, c = setup(rent=1000.0, energy_max=400.0)
    cells.set_reg(c, "energy", 10 * UNIT)
    ledger.settle_rent(cells, c, 10**12)
    assert cells.reg(c, "energy") == -400 * UNIT and ledger.spent_rent == 410 * UNIT


def test_a_boost_multiplies_the_next_slices_then_wears_off() -> None:
    ledger, cells, c = setup(rent=0.0, boost_duration=2)  # TASK_REWARD_RULE=boost, the default
    ledger.boost(cells, c, 3)
    ledger.boost(cells, c, 1)  # a lower level does not lower the boost
    assert [ledger.slice_length(cells, c, 0, 105) for _ in range(3)] == [420, 420, 105]


def test_under_the_merit_rule_a_task_gives_no_boost() -> None:
    ledger, cells, c = setup(rent=0.0, boost_duration=2, merit=1)  # TASK_REWARD_RULE=merit
    ledger.boost(cells, c, 3)
    assert cells.boost_left[c] == 0 and cells.boost_level[c] == 0


def test_two_slice_ends_in_debt_starve() -> None:
    ledger, cells, c = setup()
    cells.set_reg(c, "energy", 0)
    assert not ledger.starves(cells, c) and cells.arrears[c] == 1
    cells.set_reg(c, "energy", 5)
    assert not ledger.starves(cells, c) and cells.arrears[c] == 0  # paid up in between
    cells.set_reg(c, "energy", -5)
    assert not ledger.starves(cells, c)
    assert ledger.starves(cells, c) and ledger.starved == 1


def test_endowment_and_forfeit_keep_the_books() -> None:
    ledger, cells, c = setup(energy_initial=200.0)
    ledger.endow(cells, c)
    ledger.forfeit(cells, c)
    assert (ledger.endowed, ledger.lost, cells.reg(c, "energy")) == (200 * UNIT, 200 * UNIT, 0)


def test_ledger_totals_saturate() -> None:
    assert ledger_add(LEDGER_LIMIT - 5, 10) == LEDGER_LIMIT
    assert ledger_add(-LEDGER_LIMIT + 5, -10) == -LEDGER_LIMIT
    assert ledger_add(5, 10) == 15
