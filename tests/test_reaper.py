"""core/reaper.py (Reaper): the queue's order, moves on errors and successes, victims."""

from __future__ import annotations

from bytebiota.core.cells import Cells
from bytebiota.core.reaper import ReaperQueue
from bytebiota.core.rng import Rng


def queue(n: int, *, up: int = 1, down: int = 1, fraction: float = 0.0) -> ReaperQueue:
    cells = Cells()
    q = ReaperQueue(cells, up, down, fraction)
    for _ in range(n):
        q.push_bottom(cells.new_slot())
    return q


def test_newborns_enter_at_the_bottom() -> None:
    q = queue(4)
    assert q.order() == [0, 1, 2, 3] and (q.top, q.bottom) == (0, 3)


def test_an_error_moves_a_cell_up_past_one_with_no_more_errors() -> None:
    q = queue(3)
    q.on_error(2)
    assert q.order() == [0, 2, 1]
    q.on_error(0)
    q.on_error(0)  # the top cannot move up
    q.on_error(2)  # 2 errors >= 2 errors above: moves up
    assert q.order() == [2, 0, 1]
    q.on_error(0)  # 3 errors >= 2 above
    assert q.order() == [0, 2, 1] and q.top == 0


def test_a_success_moves_a_cell_down_one_place() -> None:
    q = queue(3)
    q.on_success(0)
    assert q.order() == [1, 0, 2]
    q.on_success(2)  # the bottom stays
    assert q.order() == [1, 0, 2] and q.bottom == 2


def test_moves_can_be_switched_off() -> None:
    q = queue(3, up=0, down=0)
    q.on_error(2)
    q.on_success(0)
    assert q.order() == [0, 1, 2]


def test_the_victim_is_the_top_unless_excluded() -> None:
    q = queue(3)
    rng = Rng(1)
    assert q.victim(rng, 3, -1) == 0
    assert q.victim(rng, 3, 0) == 1
    q.remove(0)
    assert q.order() == [1, 2] and q.top == 1
    q.remove(2)
    assert q.order() == [1] and q.bottom == 1
    assert q.victim(rng, 1, 1) == -1  # the only cell is excluded: nobody


def test_a_top_fraction_draws_the_victim_among_the_top_cells() -> None:
    q = queue(100, fraction=0.1)
    rng = Rng(7)
    seen = {q.victim(rng, 100, -1) for _ in range(2000)}
    assert seen == set(range(10))
