"""Scenario data the population is built from: the metro's places and the organization roster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strikesim import scenarios
from strikesim.engine.population import CITY, build_population, complete_population
from strikesim.streams import stream

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
COUNTIES_2020 = {  # US Census 2020 counts of the seven counties (Census centers-of-population file)
    "Hennepin": 1_281_565,
    "Ramsey": 552_352,
    "Anoka": 363_887,
    "Dakota": 439_882,
    "Washington": 267_568,
    "Scott": 150_928,
    "Carver": 106_922,
}


def great_circle_km(lat: np.ndarray, lon: np.ndarray, to: tuple[float, float]) -> np.ndarray:
    """Haversine distance, the formula behind ``distance_km``."""
    p1, p2 = np.radians(lat), np.radians(to[0])
    dlon = np.radians(to[1] - lon)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def test_places_are_the_seven_county_metro_with_minneapolis_first() -> None:
    places = scenarios.places()
    assert list(places.columns) == [
        "place_id",
        "name",
        "population",
        "lat",
        "lon",
        "distance_km",
        "mean_distance_km",
        "foreign_born_share",
        "source",
    ]
    assert places.loc[CITY, "place_id"] == "minneapolis"
    assert places.loc[CITY, "population"] == 429_954  # facts.md, US Census 2020
    by_id = places.set_index("place_id")["population"]
    assert by_id["minneapolis"] + by_id["hennepin_rest"] == COUNTIES_2020["Hennepin"]
    assert places["population"].sum() == sum(COUNTIES_2020.values()) == 3_163_104
    assert places["place_id"].is_unique and places["source"].str.len().min() > 40
    assert places["foreign_born_share"].between(0, 1).all()


def test_distances_are_great_circle_from_each_center_to_downtown() -> None:
    places = scenarios.places()
    km = great_circle_km(places["lat"].to_numpy(), places["lon"].to_numpy(), scenarios.DOWNTOWN)
    np.testing.assert_allclose(places["distance_km"], km, atol=0.006)  # the CSV keeps 2 decimals
    # residents are spread around their center: the mean trip is at least the center's distance
    assert (places["mean_distance_km"] >= places["distance_km"]).all()
    assert places.loc[CITY, "distance_km"] == places["distance_km"].min()


@pytest.fixture(scope="module")
def metro():
    from strikesim.compose import compose_config

    cfg = compose_config(["population=small", "population.size=60000"])
    return build_population(cfg.population, cfg.network, stream(0, "population"), catchment="metro")


def test_metro_places_have_their_census_shares(metro) -> None:
    """Block sizes are apportioned, not sampled: each place is within one person of its quota."""
    population = scenarios.places()["population"].to_numpy(float)
    quota = metro.size * population / population.sum()
    counts = np.bincount(metro.place, minlength=len(population))
    assert counts.sum() == metro.size
    assert np.all(np.abs(counts - quota) < 1)


def test_metro_people_carry_their_places_distance(metro) -> None:
    # a resident's trip downtown: the place's mean distance, not its centre's
    distance = scenarios.places()["mean_distance_km"].to_numpy(np.float32)
    assert metro.place.dtype == np.int16 and metro.distance_km.dtype == np.float32
    np.testing.assert_array_equal(metro.distance_km, distance[metro.place])


def test_metro_places_are_blocks_that_homes_classes_and_congregations_stay_in(metro) -> None:
    assert np.all(np.diff(metro.place) >= 0)  # consecutive: the friendship ring stays local
    assert np.all(np.diff(metro.household) >= 0)
    for group in (metro.household, metro.school_class, metro.congregation):
        has = group >= 0
        places_per_group = pd.Series(metro.place[has]).groupby(group[has]).nunique()
        assert places_per_group.max() == 1


def test_a_graph_population_lives_where_its_place_attribute_says_or_in_minneapolis(
    make_config,
) -> None:
    cfg = make_config()
    kind = np.zeros(1_000, np.int8)
    given = np.tile(np.array([2, -1, 5, 2], np.int16), 250)  # scattered; -1: no attribute
    pop = complete_population(
        stream(0, "population"), kind, cfg.population, cfg.network, place=given
    )
    np.testing.assert_array_equal(pop.place, np.where(given < 0, CITY, given))
    has = pop.household >= 0
    assert pd.Series(pop.place[has]).groupby(pop.household[has]).nunique().max() == 1
    unplaced = complete_population(stream(0, "population"), kind, cfg.population, cfg.network)
    assert np.all(unplaced.place == CITY)


ROSTER_BEFORE_2026_11 = (  # roster rows index pop.union and pop.faith_org: never reorder them
    "ufcw_663",
    "seiu_26",
    "seiu_healthcare_mn",
    "education_minnesota",
    "unite_here_17",
    "minnesota_nurses_association",
    "atu_1005",
    "cwa_7250",
    "other_affiliates",
    "st_paul_federation_of_educators",
    "minnesota_afl_cio",
    "minneapolis_regional_labor_federation",
    "st_paul_regional_labor_federation",
    "faith_in_minnesota",
    "interfaith_clergy",
)


def test_the_roster_keeps_its_old_rows_in_place_and_adds_the_new_kinds() -> None:
    roster = scenarios.organizations().set_index("org_id")
    assert scenarios.organization_ids()[: len(ROSTER_BEFORE_2026_11)] == ROSTER_BEFORE_2026_11
    assert set(roster["kind"]) == set(scenarios.ORGANIZATION_KINDS)
    assert roster.loc["umn_student_groups", ["kind", "reaches"]].tolist() == [
        "student_group",
        "university",
    ]
    assert roster.loc["k12_student_organizers", "reaches"] == "k12"
    for org in ("mirac", "copal", "unidos_mn"):
        assert roster.loc[org, ["kind", "reaches"]].tolist() == ["community", "immigrants"]
    assert roster.loc["minneapolis_city_council", ["kind", "reaches"]].tolist() == [
        "civic",
        "residents",
    ]


def test_membership_counts_are_published_numbers_or_left_empty() -> None:
    roster = scenarios.organizations().set_index("org_id")
    counts = roster["members_reported"]
    assert counts.dtype == "Int64"  # missing stays <NA>, never 0
    assert (counts.dropna() > 0).all()
    assert roster["members_source"].str.len().min() > 10  # every row says where, or why not
    assert counts["minneapolis_regional_labor_federation"] == 80_000  # facts.md
    assert counts["minnesota_nurses_association"] == 22_000
    assert pd.isna(counts["atu_1005"]) and pd.isna(counts["minneapolis_city_council"])
