"""Config composition and validation: every preset composes; bad input gets one clear line."""

from __future__ import annotations

import pytest

from strikesim.compose import compose_config, config_groups
from strikesim.config import ConfigError, schema_help

POINT = "behavior=default"  # the fixed point set: values as given, no posterior draw

GROUPS = config_groups()


def test_groups_are_the_documented_ones() -> None:
    assert {"scenario", "weather", "coalition", "population", "network", "behavior"} <= set(GROUPS)
    assert {"ice_out_2026", "day_of_truth_2026_01_23"} <= set(GROUPS["scenario"])
    assert {"narrow", "seed", "broad"} <= set(GROUPS["coalition"])


@pytest.mark.parametrize(
    ("group", "option"),
    [(g, o) for g, options in GROUPS.items() for o in options if (g, o) != ("network", "file")],
)
def test_every_preset_composes_and_validates(group: str, option: str) -> None:
    cfg = compose_config([f"{group}={option}"])
    if group in ("weather", "coalition", "population"):
        assert getattr(cfg, group).name == option


def test_file_network_preset_needs_a_path() -> None:
    with pytest.raises(ConfigError, match=r"network\.path is empty"):
        compose_config(["network=file"])


def test_scenario_picks_its_weather_and_coalition_but_the_command_line_wins() -> None:
    jan = compose_config(["scenario=day_of_truth_2026_01_23"])
    assert (jan.weather.temperature_f, jan.coalition.name) == (-20.0, "jan23_documented")
    assert compose_config(
        ["scenario=day_of_truth_2026_01_23", "coalition=narrow"]
    ).coalition.name == ("narrow")
    feb = compose_config(["weather.temperature_f=35"])
    assert (feb.scenario.name, feb.weather.temperature_f) == ("ice_out_2026", 35.0)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "weather.temperature_f=-81",
            "weather.temperature_f=-81.0 is out of range; allowed: -80 to 130 °F",
        ),
        ("weather.temperature_f=131", "allowed: -80 to 130 °F"),
        (
            "weather.temperature_f=warm",
            "weather.temperature_f='warm' has the wrong type; allowed: a value of type float",
        ),
        (
            "population.size=-5",
            "population.size=-5 is out of range; allowed: 1 to 10,000,000 people",
        ),
        ("population.k12_share=1.5", "population.k12_share=1.5 is out of range; allowed: 0 to 1"),
        (
            "scenario=atlantis",
            "scenario='atlantis' is unknown; allowed: day_of_truth_2026_01_23, ice_out_2026",
        ),
        ("coalition=everyone", "coalition='everyone' is unknown; allowed: broad,"),
        (
            "coalition.endorsers=[seiu_26,teamsters]",
            "unknown organization 'teamsters'; allowed: ufcw_663",
        ),
        ("weather.temp=3", "unknown config key 'weather.temp'; allowed: name, temperature_f"),
        ("+weather.snow=3", "unknown config key 'weather.snow'"),
        (
            "network.source=magic",
            "network.source='magic' is not allowed; allowed: one of generated, file",
        ),
        ("scenario.call_lead_days=2.5", "has the wrong type; allowed: a value of type int"),
        (
            "scenario.start_date=yesterday",
            "scenario.start_date='yesterday' is not a date; allowed: an ISO date such as",
        ),
        ("scenario.date=2026-02-30", "scenario.date='2026-02-30' is not a date; allowed: an ISO"),
        (
            "scenario.start_date=2026-02-20",
            "scenario.start_date=2026-02-20 and scenario.date=2026-02-13 are -7 days apart; "
            "allowed: start_date 1 to 366 days before date",
        ),
        ("scenario.start_date=2024-01-01", "are 774 days apart; allowed: start_date 1 to 366"),
        ("scenario.kind=riot", "scenario.kind='riot' is not allowed; allowed: one of strike,"),
        (
            "behavior.threshold_sd=0.48",
            "behavior.threshold_sd=0.48 is too wide for a mean threshold of 0.35 "
            "(threshold_mean); allowed: below sqrt(mean * (1 - mean)) = 0.477",
        ),
        ("population.worker_share=0.9", "exceeds 1; allowed: a total <= 1"),
    ],
)
def test_bad_values_get_one_line_naming_key_value_and_allowed(override: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        compose_config([override])
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_help_lists_every_key_with_unit_and_range() -> None:
    text = schema_help()
    assert "weather.temperature_f = 30.0  [-80 to 130 °F]" in text
    assert "population.scale" in text and "behavior.cold_sensitivity" in text


def test_the_campaign_runs_from_start_date_to_date() -> None:
    """One day is the shortest campaign; a year and a day the longest; both ends are dates."""
    one_day = compose_config(["scenario.start_date=2026-02-12"]).scenario
    assert (one_day.start_date, one_day.date) == ("2026-02-12", "2026-02-13")
    leap = compose_config(["scenario.start_date=2025-02-12"]).scenario  # 366 days: the limit
    assert leap.start_date == "2025-02-12"
    with pytest.raises(ConfigError, match=r"367 days apart; allowed: start_date 1 to 366"):
        compose_config(["scenario.start_date=2025-02-11"])
    with pytest.raises(ConfigError, match="0 days apart"):
        compose_config(["scenario=march_2026_01_10", "scenario.date=2026-01-07"])


def test_threshold_spread_is_checked_for_every_groups_mean() -> None:
    """A Beta exists only for sd < sqrt(m (1 - m)); each group's mean (with its shift) counts."""
    # (at the fixed point set: with the posterior, the draw's shifts would decide; check_draw)
    compose_config([POINT, "behavior.threshold_sd=0.4"])  # fine for every default group
    with pytest.raises(ConfigError) as err:
        compose_config([POINT, "behavior.threshold_sd=0.4", "behavior.k12_threshold_shift=0.5"])
    message = str(err.value)
    assert message.startswith("behavior.threshold_sd=0.4 is too wide for a mean threshold of 0.85")
    assert "behavior.k12_threshold_shift=0.5" in message and "\n" not in message
    with pytest.raises(ConfigError, match=r"gives a mean threshold of -0\.01; allowed: a mean"):
        compose_config([POINT, "behavior.threshold_mean=0.04"])  # the immigrant shift is -0.05
    # a foreign-born university student gets both shifts: each alone is fine, together not
    both = [
        "behavior.threshold_mean=0.05",
        "behavior.threshold_sd=0.01",
        "behavior.immigrant_threshold_shift=-0.03",
        "behavior.university_threshold_shift=-0.03",
    ]
    with pytest.raises(ConfigError) as err:
        compose_config([POINT, *both])
    assert str(err.value).startswith(
        "behavior.threshold_mean=0.05 + behavior.immigrant_threshold_shift=-0.03 + "
        "behavior.university_threshold_shift=-0.03 gives a mean threshold of -0.01"
    )
    compose_config([POINT, *both[:-1], "behavior.university_threshold_shift=-0.005"])  # 0.015: fine
