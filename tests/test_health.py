"""Health rules per regime: the classic regime by Tierra's expectations, the ecology regime by
the seed's; every sign and unmet indicator names its measured value and threshold."""

from __future__ import annotations

from typing import Any

from bytebiota import health


def classic(step: int, births: int, deaths: int, sizes: list[list[int]], genotypes: int = 30
            ) -> dict[str, Any]:
    population = sum(n for _, n in sizes)
    return {"step": step, "population": population, "genotypes": genotypes, "births": births,
            "deaths": deaths, "sizes": sizes,
            "top_genotypes": [["0080aaa", 80, sizes[-1][1], "0666god"]]}


def test_a_full_classic_soup_with_parasites_is_healthy() -> None:
    # 750 cells fill 80 % of Tierra's 60,000-byte soup: the seed's occupancy and population
    # bounds are its own regime's, not Tierra's
    monitor = health.Monitor(copy_rate=0.0, soup_size=60_000, regime="classic",
                             ancestor_size=80)
    monitor.check(classic(1_000_000, 5_000, 4_300, [[45, 150], [80, 450]]))
    result = monitor.check(classic(2_000_000, 9_000, 8_250, [[45, 150], [80, 600]]))
    assert list(result["indicators"]) == ["turnover", "diversity", "parasites"]
    assert result["signs"] == [] and all(result["indicators"].values())
    assert health.summary(result) == "healthy"


def test_a_classic_monoculture_without_parasites_says_by_how_much() -> None:
    monitor = health.Monitor(copy_rate=0.0, soup_size=60_000, regime="classic",
                             ancestor_size=80)
    # 22-byte fragments are no parasites (non-replicators, in Tierra's soups too)
    monitor.check(classic(1_000_000, 5_000, 4_300, [[22, 4], [79, 20], [80, 700]],
                          genotypes=3))
    result = monitor.check(classic(2_000_000, 9_000, 8_300, [[22, 4], [79, 20], [80, 700]],
                                   genotypes=3))
    assert health.summary(result) == (
        "outside: diversity: 3 genotypes alive (wanted at least 10); parasites: 0 cells of "
        "32..48 bytes (40%..60% of the 80-byte ancestor; wanted: some)")


def test_the_classic_ancestor_size_defaults_to_the_first_common_genotype() -> None:
    monitor = health.Monitor(copy_rate=0.0, soup_size=60_000, regime="classic")
    result = monitor.check(classic(1_000_000, 5_000, 4_300, [[45, 10], [80, 700]]))
    assert monitor.ancestor_size == 80 and result["indicators"]["parasites"]


def test_an_ecology_population_outside_the_seeds_range_names_it() -> None:
    monitor = health.Monitor(copy_rate=0.005, soup_size=5_000_000)
    event = {"step": 1, "population": 812, "genotypes": 600, "births": 1000, "deaths": 900,
             "sizes": [[97, 812]], "energy": {"mean": 50.0, "total": 1.0, "broke": 0}}
    monitor.check(event)
    result = monitor.check({**event, "births": 2000, "deaths": 1800})
    assert health.summary(result) == "outside: population stable: population 812 (wanted 20..500)"


def test_a_servers_islands_are_judged_as_soups_side_by_side() -> None:
    """A server's stats sum N islands: 812 cells on 2 islands is a stable population, on 1
    it is not; the crash threshold and the occupancy scale alike."""
    event = {"step": 1, "population": 812, "genotypes": 600, "births": 1000, "deaths": 900,
             "sizes": [[97, 812]], "energy": {"mean": 50.0, "total": 1.0, "broke": 0},
             "islands": 2}
    monitor = health.Monitor(copy_rate=0.005, soup_size=500_000)
    monitor.check(event)
    result = monitor.check({**event, "births": 2000, "deaths": 1800})
    assert result["indicators"]["population_stable"], result
    assert result["measures"]["population_stable"] == \
        "population 812 (wanted 40..1,000 for 2 islands)"
    # 812 x 97 bytes of 2 x 500,000: 8 %, under the 10 % bound; of one soup it would be 16 %
    assert result["measures"]["occupancy"] == "occupancy 8% (wanted below 10%)"
    result = monitor.check({**event, "step": 2, "population": 90, "births": 3000,
                            "deaths": 2800, "sizes": [[97, 90]]})
    assert "population_crash" in result["signs"]  # 90 < 2 x 50 after a peak of 812


def test_a_sign_names_its_value_and_threshold() -> None:
    monitor = health.Monitor(copy_rate=0.005, soup_size=5_000_000)
    base = {"step": 1, "genotypes": 20, "sizes": [[97, 300]],
            "energy": {"mean": 50.0, "total": 1.0, "broke": 0}}
    monitor.check({**base, "population": 300, "births": 1000, "deaths": 900})
    result = monitor.check({**base, "population": 30, "births": 2000, "deaths": 2200})
    assert result["signs"] == ["population_crash"]
    assert result["measures"]["population_crash"] == (
        "population 30 after a peak of 300 (a crash: below 50 after 50 or more)")
    assert health.summary(result).startswith("warning: population crash: population 30 after")
