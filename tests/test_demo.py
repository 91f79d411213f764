"""The classroom demo without a browser: presets, counterfactual replays, the page's components."""

from __future__ import annotations

from dataclasses import replace

import ipyvuetify as v
import numpy as np
import pytest
import solara

from strikesim.cli import main
from strikesim.viz.demo.app import ClassroomPage, PageModel, input_specs
from strikesim.viz.demo.scene import (
    PRESETS,
    ClassroomModel,
    Settings,
    participation,
    projected_city_marchers,
)


@pytest.fixture(scope="module")
def ice_out() -> Settings:
    return Settings.from_preset("ice_out")


def run_to(model: ClassroomModel, day: int) -> ClassroomModel:
    while model.running and model.day < day:
        model.step()
    return model


def test_presets_are_the_named_scenarios() -> None:
    configs = {name: Settings.from_preset(name).config() for name in PRESETS}
    assert {c.population.size for c in configs.values()} == {1_000}
    assert configs["ice_out"].scenario.date == "2026-02-13"
    assert configs["jan23"].scenario.date == "2026-01-23"
    assert configs["jan23"].weather.temperature_f == -20
    assert configs["warm_day"].weather.temperature_f == 60
    assert len(configs["narrow"].coalition.endorsers) < len(configs["ice_out"].coalition.endorsers)


def test_sliders_reach_the_config(ice_out: Settings) -> None:
    custom = replace(ice_out, temperature_f=41.0, rewire_prob=0.5, scale=4, seed=7, endorsers=())
    config = custom.config()
    assert config.weather.temperature_f == 41.0 and config.network.rewire_prob == 0.5
    assert config.population.size // config.population.scale == 250 and config.seed == 7
    assert config.coalition.endorsers == [] and config.coalition.name == "custom"


def test_replay_is_the_same_town_on_the_same_day(ice_out: Settings) -> None:
    cold = run_to(ClassroomModel(ice_out), 6)
    warm = cold.replay(replace(ice_out, temperature_f=60.0))
    assert warm.day == cold.day == 6
    np.testing.assert_array_equal(warm.committed, cold.committed)  # weather: who marches only
    assert projected_city_marchers(warm) > projected_city_marchers(cold)
    finished = run_to(ClassroomModel(ice_out), 99)
    assert not finished.replay(ice_out).running  # past the strike day stays past it


def test_counts_are_the_models_own(ice_out: Settings) -> None:
    model = run_to(ClassroomModel(ice_out), 99)
    frame = participation(model)
    totals = model.totals()
    assert list(frame.index) == list(range(model.strike_day + 1))
    last = frame.iloc[-1]
    assert last["marching"] == totals["marchers"]
    assert last["striking"] == totals["striking_workers"]
    assert last["walkouts"] == totals["k12_walkouts"] + totals["university_walkouts"]
    assert (frame.diff().dropna()[["striking", "walkouts"]] >= 0).all().all()  # commitment sticks
    assert projected_city_marchers(model) == round(totals["marchers"] * 429_954 / 1_000)
    model.step()  # a Step after the strike day changes nothing
    assert participation(model).equals(frame)


def counter(rc) -> int:
    text = rc.find(v.Html, class_="strikesim-counter").widget.children[0]
    return int(text.replace(",", ""))


def test_page_renders_and_a_slider_changes_the_model(ice_out: Settings) -> None:
    settings = solara.reactive(ice_out)
    model = solara.reactive(PageModel(ice_out))
    page = solara.AppLayout(children=[ClassroomPage(model, settings)])  # as the server wraps it
    _, rc = solara.render(page, handle_error=False)
    before = counter(rc)
    label = input_specs(ice_out)["temperature_f"].label
    rc.find(v.Slider, label=label).widget.v_model = 60.0
    assert model.value.config.weather.temperature_f == 60.0
    assert settings.value.temperature_f == 60.0
    assert counter(rc) > before  # a warmer day: more would march
    warm = counter(rc)
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.day == 1
    assert counter(rc) > warm  # the campaign grows: the counter follows the model
    rc.find(v.Switch, label="Faith in Minnesota").widget.v_model = False
    assert "faith_in_minnesota" not in model.value.config.coalition.endorsers
    assert model.value.day == 1  # replayed to the same day
    rc.close()


def test_demo_refuses_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--port", "70000"]) == 2
    assert capsys.readouterr().err == (
        "strikesim: config error: demo: --port=70000; allowed: an integer from 0 to 65535; "
        "see 'strikesim demo --help'\n"
    )
