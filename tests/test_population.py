"""The synthetic population reproduces the configured shares."""

from __future__ import annotations

import numpy as np
import pytest

from strikesim import scenarios
from strikesim.engine.population import K12, KINDS, UNIVERSITY, WORKER, build_population
from strikesim.streams import stream


@pytest.fixture
def city(make_config):
    cfg = make_config("population.size=50000")
    pop = build_population(cfg.population, cfg.network, stream(0, "population"))
    return cfg, pop


def test_kind_counts_are_exact_shares(city) -> None:
    cfg, pop = city
    p = cfg.population
    assert pop.size == 50_000 and len(KINDS) == 4
    assert np.count_nonzero(pop.kind == WORKER) == round(50_000 * p.worker_share)
    assert np.count_nonzero(pop.kind == K12) == round(50_000 * p.k12_share)
    assert np.count_nonzero(pop.kind == UNIVERSITY) == round(50_000 * p.university_share)


def test_union_rate_and_sectors_follow_the_sector_table(city) -> None:
    _, pop = city
    table = scenarios.sectors()
    workers = pop.kind == WORKER
    expected = float((table["share_of_workers"] * table["union_rate"]).sum())
    assert expected == pytest.approx(0.1533, abs=1e-4)  # inside BLS Minnesota 13.3-17.1%
    assert np.mean(pop.union[workers] >= 0) == pytest.approx(expected, abs=0.01)
    assert np.all(pop.union[~workers] < 0) and np.all(pop.sector[~workers] < 0)
    shares = np.bincount(pop.sector[workers], minlength=len(table)) / workers.sum()
    np.testing.assert_allclose(shares, table["share_of_workers"], atol=0.01)


def test_immigrants_households_and_groups(city) -> None:
    cfg, pop = city
    assert np.mean(pop.immigrant) == pytest.approx(cfg.population.immigrant_share, abs=0.01)
    assert np.all(np.diff(pop.household) >= 0)  # household order
    assert pop.size / (pop.household.max() + 1) == pytest.approx(
        cfg.population.household_size, rel=0.05
    )
    assert np.all((pop.workplace >= 0) == (pop.kind == WORKER))
    assert np.all((pop.school_class >= 0) == np.isin(pop.kind, [K12, UNIVERSITY]))
    for w in np.unique(pop.workplace[pop.workplace >= 0])[:50]:  # workplaces stay in one sector
        assert len(np.unique(pop.sector[pop.workplace == w])) == 1


def test_scale_makes_fewer_agents_reported_in_people(make_config) -> None:
    cfg = make_config("population.size=50000", "population.scale=10")
    pop = build_population(cfg.population, cfg.network, stream(0, "population"))
    assert pop.size == 5_000
    assert pop.count(pop.kind == WORKER) == 10 * np.count_nonzero(pop.kind == WORKER)
