"""Config composition and validation: every preset composes; bad input gets one clear line."""

from __future__ import annotations

import pytest

from strikesim.compose import compose_config, config_groups
from strikesim.config import ConfigError, schema_help

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
        ("scenario.campaign_days=2.5", "has the wrong type; allowed: a value of type int"),
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
