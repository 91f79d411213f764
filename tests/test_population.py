"""The synthetic population reproduces the configured shares; union members share workplaces."""

from __future__ import annotations

import numpy as np
import pytest

from strikesim import scenarios
from strikesim.engine.population import (
    CITY,
    K12,
    KINDS,
    RESIDUAL_LOCAL,
    UNIVERSITY,
    WORKER,
    build_population,
    immigrant_chance,
    local_rates,
)
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
    assert np.mean(pop.union[workers] >= 0) == pytest.approx(expected, abs=0.015)
    assert np.all(pop.union[~workers] < 0) and np.all(pop.sector[~workers] < 0)
    shares = np.bincount(pop.sector[workers], minlength=len(table)) / workers.sum()
    np.testing.assert_allclose(shares, table["share_of_workers"], atol=0.01)


def test_each_sectors_union_density_is_its_rate_in_expectation(city) -> None:
    """Whole workplaces unionize with the sector's rate, so members number rate x workers in
    expectation; given the workplace sizes n_w the variance is rate (1 - rate) sum n_w^2."""
    _, pop = city
    for s, rate in enumerate(scenarios.sectors()["union_rate"]):
        in_sector = pop.sector == s
        sizes = np.bincount(pop.workplace[in_sector])
        members = np.count_nonzero(in_sector & (pop.union >= 0))
        sd = np.sqrt(rate * (1 - rate) * np.sum(sizes.astype(float) ** 2))
        assert abs(members - rate * in_sector.sum()) <= 4 * sd, (s, members, rate)


def test_a_multi_union_sector_splits_its_bargaining_units_by_the_locals_rates(city) -> None:
    _, pop = city
    table = scenarios.sectors()
    healthcare = int(np.flatnonzero(table["sector"] == "healthcare")[0])
    ids = {name: i for i, name in enumerate(scenarios.organization_ids())}
    units = np.unique(pop.workplace[(pop.sector == healthcare) & (pop.union >= 0)])
    local = np.array([pop.union[np.argmax(pop.workplace == w)] for w in units])
    rates = dict(local_rates(pop.sector)[healthcare])
    mna = rates["minnesota_nurses_association"] / sum(rates.values())
    assert set(local.tolist()) <= {ids[name] for name in rates}
    share = np.mean(local == ids["minnesota_nurses_association"])
    assert share == pytest.approx(mna, abs=4 * np.sqrt(mna * (1 - mna) / len(units)))


def test_counted_locals_have_their_reported_members_and_sectors_keep_their_rate() -> None:
    """A local with a published count gets exactly that many members per resident (statewide
    counts spread over Minnesota's residents); the sector's union rate stays the BLS one, what
    the counted locals leave going to locals without a count or to the other affiliates."""
    sector = np.repeat(np.arange(len(scenarios.sectors())), 1000)  # 1,000 workers per sector
    n = len(sector)
    rates = local_rates(sector)
    table = scenarios.sectors()
    for s, pairs in rates.items():
        assert sum(r for _, r in pairs) == pytest.approx(table.loc[s, "union_rate"])
    by_name = {name: rate for pairs in rates.values() for name, rate in pairs}
    metro = int(scenarios.places()["population"].sum())
    assert by_name["seiu_26"] == pytest.approx(8000 * n / metro / 1000)  # a metro count
    assert by_name["education_minnesota"] == pytest.approx(
        84_000 * n / scenarios.MINNESOTA_POPULATION / 1000  # a statewide count
    )
    building = int(np.flatnonzero(table["sector"] == "building_services")[0])
    assert [name for name, _ in rates[building]] == ["seiu_26", RESIDUAL_LOCAL]
    transit = int(np.flatnonzero(table["sector"] == "transit")[0])
    assert rates[transit] == [("atu_1005", table.loc[transit, "union_rate"])]  # no count


def test_metro_locals_have_about_their_reported_members(make_config) -> None:
    cfg = make_config("population=metro", "population.scale=10")
    pop = build_population(cfg.population, cfg.network, stream(0, "population"), catchment="metro")
    ids = scenarios.organization_ids()
    members = np.bincount(pop.union[pop.union >= 0], minlength=len(ids)) * 10
    for name in ("seiu_26", "unite_here_17", "seiu_healthcare_mn", "education_minnesota"):
        want = scenarios.members_in_population(name, cfg.population.size)
        assert members[ids.index(name)] == pytest.approx(want, rel=0.35), name


def test_foreign_born_follow_the_places_shares(make_config) -> None:
    cfg = make_config("population=metro", "population.scale=10")
    pop = build_population(cfg.population, cfg.network, stream(0, "population"), catchment="metro")
    places = scenarios.places()
    assert pop.immigrant.mean() == pytest.approx(cfg.population.immigrant_share, abs=0.003)
    share = np.array([pop.immigrant[pop.place == p].mean() for p in range(len(places))])
    weighted = np.average(places["foreign_born_share"], weights=places["population"])
    want = cfg.population.immigrant_share * places["foreign_born_share"] / weighted
    np.testing.assert_allclose(share, want, atol=0.01)
    assert share[places["place_id"].tolist().index("ramsey")] > 2.5 * share[-1]  # vs Carver
    chance = immigrant_chance(0.2, np.zeros(7, np.int16))
    assert chance.tolist() == [0.2] * 7  # one place: the configured share


def coworkers_in_same_local(workplace: np.ndarray, union: np.ndarray) -> float:
    """Mean over union members of the share of their coworkers who belong to their local."""
    member = (union >= 0) & (workplace >= 0)
    size = np.bincount(workplace[workplace >= 0])
    key = workplace[member].astype(np.int64) * 1024 + union[member]
    _, inverse, same = np.unique(key, return_inverse=True, return_counts=True)
    others = size[workplace[member]] - 1
    alone = others == 0
    return float(np.mean((same[inverse][~alone] - 1) / others[~alone]))


def test_union_members_work_beside_members_of_their_local(city) -> None:
    """A local's members fill its bargaining units: every coworker of a member is in the same
    local. Scattering the same memberships over the sector's workers (the per-person draw this
    replaced) leaves the share near the local's density instead."""
    _, pop = city
    assert coworkers_in_same_local(pop.workplace, pop.union) == 1.0
    for w in np.unique(pop.workplace[pop.workplace >= 0])[:200]:
        assert len(np.unique(pop.union[pop.workplace == w])) == 1
    scattered = pop.union.copy()
    rng = np.random.default_rng(0)
    for s in np.unique(pop.sector[pop.sector >= 0]):
        idx = np.flatnonzero(pop.sector == s)
        scattered[idx] = rng.permutation(scattered[idx])
    assert coworkers_in_same_local(pop.workplace, scattered) < 0.5


def test_the_city_preset_lives_in_minneapolis(city) -> None:
    _, pop = city
    places = scenarios.places()
    assert places.loc[CITY, "place_id"] == "minneapolis"
    assert pop.place.dtype == np.int16 and pop.distance_km.dtype == np.float32
    assert np.all(pop.place == CITY)
    assert np.all(pop.distance_km == np.float32(places.loc[CITY, "mean_distance_km"]))


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
