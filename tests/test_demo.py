"""The classroom demo without a browser: settings and labels, the runs, the data, server, export."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from strikesim.cli import main
from strikesim.compose import compose_config
from strikesim.config import ConfigError
from strikesim.engine.kernel import City
from strikesim.engine.model import config_from_keywords
from strikesim.viz.demo import adapter, payload
from strikesim.viz.demo.adapter import CHANNELS, NEVER, run_town, town_marchers
from strikesim.viz.demo.export import export_site, grid, scene_name
from strikesim.viz.demo.scene import PRESETS, TOWN, TOWNS, Settings, org_labels, preset_config
from strikesim.viz.demo.server import Server
from strikesim.viz.demo.store import Store


@pytest.fixture(scope="module")
def ice_out() -> Settings:
    return Settings.from_preset("ice_out")


@pytest.fixture(scope="module")
def ice_out_runs(ice_out: Settings) -> list:
    return payload.scene_runs(ice_out)


def test_presets_are_the_named_scenarios_on_a_metro_sample_with_central_settings() -> None:
    configs = {name: preset_config(name) for name in PRESETS}
    default = compose_config(["behavior=default"]).behavior
    for config in configs.values():  # the fixed point set, never a posterior draw
        assert config.behavior == default and not config.behavior.posterior
        # a sample of the metro, the catchment of the observed turnouts it is projected to
        assert (config.population.size, config.population.catchment) == (1_000, "metro")
        assert config.scenario.reference_population == 3_163_104
    assert "behavior=default" in TOWN
    assert configs["ice_out"].scenario.date == "2026-02-13"
    assert configs["jan23"].scenario.date == "2026-01-23"
    assert configs["jan23"].weather.temperature_f == -20
    assert configs["warm_day"].weather.temperature_f == 60
    assert len(configs["narrow"].coalition.endorsers) < len(configs["ice_out"].coalition.endorsers)


def test_label_says_custom_once_anything_changes(ice_out: Settings) -> None:
    assert ice_out.label() == "Ice Out, 13 Feb 2026 (8 °F)"
    warm = Settings.from_query({"preset": "ice_out", "temperature_f": "60"})
    assert warm.label() == "custom (changed from Ice Out, 13 Feb 2026 (8 °F): Temperature 60 °F)"
    fewer = replace(ice_out, endorsers=ice_out.endorsers[1:], rewire_prob=0.5)
    assert fewer.label() == (
        "custom (changed from Ice Out, 13 Feb 2026 (8 °F): 6 endorsers instead of 7, "
        "Random ties 50%)"
    )
    for name in PRESETS:  # the page's round trip: a preset sent back is the preset
        preset = Settings.from_preset(name)
        assert Settings.from_query(preset.query()) == preset and not preset.changes()
    assert Settings.from_preset("jan23").label() == "Day of Truth, 23 Jan 2026 (-20 °F)"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"temperature_f": "500"}, "temperature_f='500'; allowed: a number from -30 to 80"),
        ({"scale": "2.5"}, "scale='2.5'; allowed: an integer from 1 to 10"),
        ({"preset": "x"}, "preset='x'; allowed: ice_out, jan23, warm_day, narrow"),
        ({"endorsers": "nobody"}, "endorsers='nobody'; allowed: ufcw_663, "),
        ({"colour": "red"}, "colour='red'; allowed: preset, endorsers, temperature_f, "),
    ],
)
def test_bad_settings_are_one_line(query: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_query(query)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_a_town_run_is_the_models_own(ice_out_runs: list) -> None:
    run = ice_out_runs[0]
    last = run.series.iloc[-1]
    assert run.action_days[-1] == run.last_day  # the run ends on the day it is about
    assert set(run.marching) == set(run.action_days)
    assert last["marching"] == run.totals["marchers"] == len(run.marching[run.last_day])
    assert last["striking"] == run.totals["striking_workers"]
    assert last["walkouts"] == run.totals["k12_walkouts"] + run.totals["university_walkouts"]
    committed = run.commit_day != NEVER
    assert committed.sum() == run.totals["committed"]
    assert (run.channel[committed] >= 0).all() and (run.channel[~committed] == NEVER).all()
    organizers = run.commit_day == 0
    assert organizers.any() and (run.channel[organizers] == CHANNELS.index("organizer")).all()
    for day, who in run.marching.items():  # only those committed by that day march
        assert (run.commit_day[who] != NEVER).all() and (run.commit_day[who] <= day).all()


def test_when_nobody_calls_nobody_commits_through_an_organization(ice_out: Settings) -> None:
    config = preset_config("ice_out")
    nobody = {**ice_out.keys(), "coalition__endorsers": [], "scenario__history": False}
    alone = run_town(config, seed=0, **nobody)
    with_calls = run_town(config, seed=0, **{**ice_out.keys(), "scenario__history": False})
    used = {CHANNELS[c] for c in alone.channel[alone.channel >= 0]}
    assert used <= {"organizer", "contact", "news"}
    assert (alone.reach_day == NEVER).all()
    np.testing.assert_array_equal(alone.commit_day == 0, with_calls.commit_day == 0)  # organizers
    assert with_calls.totals["committed"] > alone.totals["committed"]
    calls = ("union", "congregation", "school", "organization")
    assert set(calls) & {CHANNELS[c] for c in with_calls.channel[with_calls.channel >= 0]}
    reached = with_calls.reach_day != NEVER  # nobody commits through a call before it reaches
    by_call = np.isin(with_calls.channel, [CHANNELS.index(c) for c in calls])
    assert (with_calls.reach_day[by_call] <= with_calls.commit_day[by_call]).all()
    assert reached[by_call].all()


def test_scene_projects_over_twenty_towns(ice_out: Settings, ice_out_runs: list) -> None:
    scene = payload.scene(ice_out, ice_out_runs)
    towns = scene["projection"]["towns"]
    sc = preset_config("ice_out").scenario
    assert len(towns) == len(scene["runs"]) == TOWNS == 20
    assert scene["city_factor"] == sc.reference_population / 1_000
    assert towns[0] == round(ice_out_runs[0].totals["marchers"] * sc.reference_population / 1_000)
    assert scene["projection"]["median"] == int(np.median(towns) + 0.5)
    assert scene["projection"]["low"] == min(towns) < max(towns) == scene["projection"]["high"]
    assert scene["scenario"] == {
        "name": "ice_out_2026",
        "description": sc.description,
        "date": "2026-02-13",
        "observed": 30_000,
        "low": 15_000,
        "high": 50_000,
        "reference_population": sc.reference_population,
    }
    assert not scene["custom"]
    assert payload.scene(ice_out, payload.scene_runs(ice_out)) == scene  # reproducible
    # the live page's projection (totals only, as an ensemble) is the same numbers
    assert payload.projection(ice_out) == scene["projection"]
    warm = replace(ice_out, temperature_f=60.0, endorsers=ice_out.endorsers[1:])
    assert payload.projection(warm) == payload.scene(warm, payload.scene_runs(warm))["projection"]
    drawn_first = payload.scene(ice_out, payload.scene_runs(ice_out, range(3, 4)))
    assert drawn_first["projection"] is None  # the live page's quick answer: one town
    assert drawn_first["runs"] == {3: scene["runs"][3]}


@pytest.mark.parametrize(
    "change",
    [{"rewire_prob": 0.5}, {"friendship_degree": 3}, {"rewire_prob": 1.0, "friendship_degree": 0}],
)
def test_a_network_slider_keeps_the_people_and_the_numbers(ice_out: Settings, change: dict) -> None:
    """A network slider builds only the ties on the kept people: the same towns as built from
    scratch, the live projection equal to full runs, the people drawn where they were."""
    payload.projection(ice_out)  # the preset's towns are kept: the slider reuses their people
    moved = replace(ice_out, **change)
    runs = payload.scene_runs(moved)
    assert payload.projection(moved) == payload.scene(moved, runs)["projection"]
    config = config_from_keywords(preset_config("ice_out"), seed=7, **moved.keys())
    kept, fresh = adapter._city(config), City.build(config)
    assert kept.population is adapter._city(replace(config, network=ice_out_network())).population
    assert (kept.network.adjacency != fresh.network.adjacency).nnz == 0
    assert np.array_equal(kept.degree, fresh.degree)
    assert (kept.exact, kept.non_negative) == (fresh.exact, fresh.non_negative)
    for name in ("kind", "sector", "union", "faith_org", "place", "immigrant"):
        assert np.array_equal(getattr(kept.population, name), getattr(fresh.population, name))
    # the picture: the preset's positions, the new ties
    preset_town = payload.town(payload.scene_runs(ice_out, range(1))[0])
    town = payload.town(runs[0])
    assert (town["x"], town["y"]) == (preset_town["x"], preset_town["y"])
    coo = runs[0].network.adjacency.tocoo()
    assert len(town["edges"]) == 2 * int((coo.row < coo.col).sum())
    assert town["key"] != preset_town["key"]


def ice_out_network():  # the preset's network section
    return preset_config("ice_out").network


def test_people_per_dot_draws_a_new_town(ice_out: Settings) -> None:
    run = payload.scene_runs(replace(ice_out, scale=4), range(1))[0]
    town = payload.town(run)
    assert len(town["x"]) == run.network.size == 250


def test_endorser_bars_are_leave_one_out_means(ice_out: Settings) -> None:
    two = replace(ice_out, endorsers=("seiu_26", "education_minnesota"))
    runs = payload.scene_runs(two)
    bars = payload.endorser_bars(two)
    assert [b["org"] for b in bars] == ["education_minnesota", "seiu_26"]  # largest first
    without = [town_marchers(r.config, coalition__endorsers=["seiu_26"]) for r in runs]
    pairs = zip(runs, without, strict=True)
    brought = [(r.totals["marchers"] - w) * r.city_factor for r, w in pairs]
    expected = np.mean(brought)
    assert bars[0]["brought"] == round(expected) > 0


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with Server("127.0.0.1", 0, Store()) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
        httpd.shutdown()


def test_server_serves_the_page_and_refuses_bad_settings_in_one_line(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with urllib.request.urlopen(server) as reply:
        assert b'<script src="data/catalogue.js">' in reply.read()
    with urllib.request.urlopen(server + "data/catalogue.js") as reply:
        assert reply.read().startswith(b'strikesimData("catalogue",{')
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server + "api/scene?temperature_f=500")
    assert refused.value.code == 400
    assert json.loads(refused.value.read()) == {
        "error": "temperature_f='500'; allowed: a number from -30 to 80"
    }
    assert capsys.readouterr() == ("", "")  # nothing printed per request


def test_export_refuses_a_folder_that_holds_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "lesson.txt").write_bytes(b"my notes\n")
    assert main(["demo", "--export", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"strikesim: config error: --export={str(target)!r} exists and is not empty; allowed: "
        "a new or empty folder (strikesim never writes into a folder that holds anything)\n"
    )
    assert [p.name for p in target.iterdir()] == ["lesson.txt"]
    assert (target / "lesson.txt").read_bytes() == b"my notes\n"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_failed_export_leaves_only_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keep.txt").write_text("mine")

    def fail(settings: Settings) -> list:
        raise OSError("disk full")

    monkeypatch.setattr(payload, "scene_runs", fail)
    with pytest.raises(OSError, match="disk full"):
        export_site(tmp_path / "site", presets=("ice_out",), temperatures=())
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_static_grid_is_every_preset_changed_in_one_control() -> None:
    scenes = grid(tuple(PRESETS), (-20, 0, 20, 40, 60, 80))
    roster = list(org_labels())
    assert len(scenes) == len(set(scenes)) == len(PRESETS) * (7 * 2 + len(roster))
    names = [scene_name(s) for s in scenes]
    assert len(set(names)) == len(names)
    for settings in scenes:
        changes = settings.changes()
        preset = Settings.from_preset(settings.preset)
        if settings.endorsers not in (preset.endorsers, ()):  # one organization switched
            assert len(set(settings.endorsers) ^ set(preset.endorsers)) == 1
            assert settings.temperature_f == preset.temperature_f and len(changes) == 1
    narrow = Settings.from_preset("narrow")
    assert scene_name(narrow) == "scene-narrow-8-preset"  # as the page builds it (demo.js)
    assert scene_name(replace(narrow, endorsers=())) == "scene-narrow-8-none"
    assert scene_name(replace(narrow, endorsers=narrow.endorsers[1:])) == (
        "scene-narrow-8-without-ufcw_663"
    )
    with pytest.raises(ValueError, match="not on the static grid"):
        scene_name(replace(narrow, endorsers=narrow.endorsers[2:]))


def test_export_holds_the_live_numbers(tmp_path: Path) -> None:
    narrow = Settings.from_preset("narrow")
    scenes = export_site(tmp_path / "site", presets=("narrow",), temperatures=(), organizations=())
    assert scenes == 2  # the preset's own temperature, with its endorsers and with none
    names = sorted(p.name for p in (tmp_path / "site").iterdir())
    assert names == ["data", "demo.css", "demo.js", "index.html"]
    name = scene_name(narrow)
    assert name == "scene-narrow-8-preset"  # the name the page builds from its controls
    text = (tmp_path / "site" / "data" / f"{name}.js").read_text()
    exported = json.loads(text.removeprefix(f'strikesimData("{name}",').removesuffix(");\n"))
    live = payload.scene(narrow, payload.scene_runs(narrow))
    assert exported["projection"] == live["projection"]
    assert exported["runs"]["3"] == json.loads(json.dumps(live["runs"][3]))
    assert sorted(b["org"] for b in exported["bars"]) == sorted(narrow.endorsers)
    towns = {r["town"] for r in exported["runs"].values()}
    assert {p.name for p in (tmp_path / "site" / "data").glob("town-*.js")} == {
        f"town-{t}.js" for t in towns
    }


def test_demo_refuses_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--port", "70000"]) == 2
    assert capsys.readouterr().err == (
        "strikesim: config error: demo: --port=70000; allowed: an integer from 0 to 65535; "
        "see 'strikesim demo --help'\n"
    )
