"""StrikeModel follows Mesa's conventions: keyword parameters, fresh recorded seeds, datacollector.

Why these matter: Mesa's tools (``mesa.batch_run``, SolaraViz sliders) build a model from keyword
arguments, expect a different replication when no seed is given, and read a ``datacollector``.
strikesim adds its own promise on top: keywords give exactly the config the same overrides compose
(so a run is bit-identical either way), and every run, even a fresh-seeded one, is repeatable from
``model.config``. All runs here use ``population=classroom`` (1,000 people).
"""

from __future__ import annotations

import inspect
import pickle
from dataclasses import asdict
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pytest

from strikesim.compose import compose_config
from strikesim.config import ConfigError, schema_keys
from strikesim.draws import resolve
from strikesim.engine import outputs
from strikesim.engine.model import (
    AMBIGUOUS_KEYS,
    COLLECTED,
    LEAF_KEYS,
    SECTION_KEYS,
    SEED_HIGH,
    StrikeModel,
    config_from_keywords,
)
from strikesim.engine.timeline import build_timeline

CLASSROOM = "population=classroom"
POINT = "behavior=default"  # the fixed point set: a config runs as given


def ran(model: StrikeModel) -> StrikeModel:
    model.run()
    return model


def assert_same_run(a: StrikeModel, b: StrikeModel) -> None:
    """Bit-identical outputs and state."""
    assert a.config == b.config
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    assert a.totals() == b.totals()
    assert np.array_equal(a.committed, b.committed)
    assert np.array_equal(a.marching, b.marching)


# --- keyword parameters ------------------------------------------------------------------------


def test_every_schema_key_has_a_keyword() -> None:
    """Every key by ``section__key``; by its name unless another section shares the name."""
    for key in schema_keys():
        if key.key == "seed":
            continue
        section, name = key.key.split(".")
        assert SECTION_KEYS[f"{section}__{name}"] == (section, name)
        if name in AMBIGUOUS_KEYS:
            assert section in AMBIGUOUS_KEYS[name]
        else:
            assert LEAF_KEYS[name] == (section, name)
    assert set(AMBIGUOUS_KEYS) == {"name"}  # scenario, weather, coalition, population


@pytest.mark.parametrize(
    ("keywords", "overrides"),
    [
        ({"temperature_f": -20}, ["weather.temperature_f=-20"]),
        ({"weather__temperature_f": -20.5}, ["weather.temperature_f=-20.5"]),
        (
            {"union_call": 0.3, "call_lead_days": 5},
            ["behavior.union_call=0.3", "scenario.call_lead_days=5"],
        ),
        (
            {"start_date": "2026-02-01", "history": False, "kind": "march"},
            ["scenario.start_date=2026-02-01", "scenario.history=false", "scenario.kind=march"],
        ),
        (
            {"scenario__name": "mine", "indoor_refuge": True},
            ["scenario.name=mine", "weather.indoor_refuge=true"],
        ),
        ({"endorsers": ["seiu_26"]}, ["coalition.endorsers=[seiu_26]"]),
        ({"call_lead_days": np.int64(7)}, ["scenario.call_lead_days=7"]),  # a numpy grid value
        ({"scenario": "day_of_truth_2026_01_23"}, ["scenario=day_of_truth_2026_01_23"]),
        ({"coalition": "narrow", "weather": "mild"}, ["coalition=narrow", "weather=mild"]),
        ({"coalition": "narrow", "endorsers": []}, ["coalition=narrow", "coalition.endorsers=[]"]),
    ],
)
def test_keywords_compose_as_the_overrides_would(
    keywords: dict[str, Any], overrides: list[str]
) -> None:
    """Same values *and types* as Hydra's composition (``-20`` becomes the float ``-20.0``)."""
    got = config_from_keywords(population="classroom", seed=3, **keywords)
    want = compose_config([CLASSROOM, *overrides, "seed=3"])
    assert got == want
    assert asdict(got) == asdict(want)
    assert [type(v) for v in asdict(got)["weather"].values()] == [
        type(v) for v in asdict(want)["weather"].values()
    ]


def test_keywords_run_bit_identical_to_compose_config() -> None:
    by_keywords = ran(StrikeModel(population="classroom", temperature_f=-20, seed=3))
    composed = ran(StrikeModel(compose_config([CLASSROOM, "weather.temperature_f=-20", "seed=3"])))
    assert_same_run(by_keywords, composed)
    assert by_keywords.totals()["marchers"] > 0


def test_keywords_override_a_given_config() -> None:
    config = compose_config([CLASSROOM, POINT, "seed=5"])
    model = StrikeModel(
        config, temperature_f=-20, weather__wind_mph=12, start_date="2026-02-09", history=False
    )
    want = compose_config(
        [
            CLASSROOM,
            POINT,
            "seed=5",
            "weather.temperature_f=-20",
            "weather.wind_mph=12",
            "scenario.start_date=2026-02-09",
            "scenario.history=false",
        ]
    )
    assert model.config == want
    assert config == compose_config([CLASSROOM, POINT, "seed=5"])  # the given one is unchanged
    assert_same_run(ran(model), ran(StrikeModel(want)))
    assert model.strike_day == 4 and len(model.events()) == 1  # 9 to 13 Feb, no history
    assert StrikeModel(config, seed=9).config.seed == 9


def test_a_config_alone_is_used_as_given() -> None:
    """No keywords: the very config (and its seed), as before keywords existed; with the
    shipped posterior, the config of the seed's draw (the values the model runs)."""
    config = compose_config([CLASSROOM, POINT, "seed=5"])
    model = StrikeModel(config)
    assert model.config is config
    assert model.config.seed == 5
    drawn = compose_config([CLASSROOM, "seed=5"])
    assert StrikeModel(drawn).config == resolve(drawn) != drawn


def test_a_keyword_is_held_while_the_posterior_draws_the_rest() -> None:
    """A posterior key given as a keyword is pinned: the model runs that value, and the other
    keys of the seed's draw, as the command line would with the same override."""
    model = StrikeModel(population="classroom", union_call=0.25, seed=5)
    assert model.config.behavior.pinned == ["behavior.union_call"]
    assert model.config.behavior.union_call == 0.25
    want = resolve(compose_config([CLASSROOM, "seed=5", "behavior.union_call=0.25"]))
    assert model.config == want
    free = resolve(compose_config([CLASSROOM, "seed=5"]))
    assert free.behavior.threshold_mean == want.behavior.threshold_mean  # the same draw
    assert free.behavior.union_call != 0.25


@pytest.mark.parametrize(
    ("config", "keywords", "named", "allowed"),
    [
        (None, {"temprature_f": 1}, "'temprature_f'", "did you mean 'temperature_f'"),
        (None, {"wind": 1}, "'wind'", "SECTION__KEY"),
        (None, {"weather__wind": 1}, "'weather__wind'", "wind_mph"),
        (None, {"experiment": "cold_snap"}, "'experiment'", "a preset of scenario, weather"),
        (None, {"name": "x"}, "'name'", "scenario__name, weather__name, coalition__name"),
        (None, {"population": "tiny"}, "population='tiny'", "classroom"),
        (None, {"population": 5}, "population=5", "classroom"),
        (None, {"temperature_f": "cold"}, "weather.temperature_f='cold'", "type float"),
        (None, {"call_lead_days": 2.5}, "scenario.call_lead_days=2.5", "type int"),
        (None, {"start_date": "soon"}, "scenario.start_date='soon'", "an ISO date"),
        (None, {"start_date": "2026-03-01"}, "scenario.start_date=2026-03-01", "1 to 366 days"),
        (None, {"threshold_sd": 0.48}, "behavior.threshold_sd=0.48", "below sqrt"),
        (None, {"temperature_f": -200}, "weather.temperature_f=-200", "-80 to 130"),
        (None, {"wind_mph": 1, "weather__wind_mph": 2}, "wind_mph and weather__wind_mph", "one"),
        (None, {"seed": 1, "rng": 2}, "seed=1 and rng=2", "one of them"),
        (None, {"seed": 1.5}, "seed=1.5", "an integer"),
        (None, {"rng": np.random.default_rng(1)}, "rng=Generator", "an integer"),
        (None, {"seed": -1}, "seed=-1", "0 to"),
        ("given", {"population": "small"}, "population='small'", "keys"),
    ],
)
def test_bad_keywords_raise_one_line(
    config: str | None, keywords: dict[str, Any], named: str, allowed: str
) -> None:
    base = compose_config([CLASSROOM]) if config else None
    with pytest.raises(ConfigError) as error:
        StrikeModel(base, **keywords)
    message = str(error.value)
    assert "\n" not in message
    assert named in message
    assert "allowed" in message and allowed in message


def test_unknown_keyword_lists_the_allowed_names() -> None:
    with pytest.raises(ConfigError, match="unknown StrikeModel keyword 'foo'") as error:
        config_from_keywords(foo=1)
    for name in ("seed", "rng", "population", "temperature_f", "union_call", "start_date"):
        assert name in str(error.value)


# --- seeds -------------------------------------------------------------------------------------


def test_without_a_seed_each_model_draws_a_fresh_one_and_records_it() -> None:
    models = [ran(StrikeModel(population="classroom")) for _ in range(3)]
    seeds = [m.config.seed for m in models]
    assert len(set(seeds)) == 3
    assert all(isinstance(s, int) and 0 <= s <= SEED_HIGH for s in seeds)
    # the record repeats the run, bit for bit
    assert_same_run(models[0], ran(StrikeModel(models[0].config)))
    assert_same_run(models[1], ran(StrikeModel(population="classroom", seed=seeds[1])))


def test_mesa_rng_keyword_is_the_seed() -> None:
    """``rng=<int>`` (what Mesa passes) is the seed, and seeds Mesa's own generators too."""
    by_rng, by_seed = (
        StrikeModel(population="classroom", rng=7),
        StrikeModel(population="classroom", seed=7),
    )
    assert by_rng.config.seed == by_seed.config.seed == 7
    assert_same_run(ran(by_rng), ran(by_seed))
    assert StrikeModel(population="classroom", rng=np.int64(7)).config.seed == 7
    assert by_seed.rng.random() == np.random.default_rng(7).random()  # Mesa's model.rng
    assert StrikeModel(population="classroom", seed=None, rng=None).config.seed != 7  # fresh


# --- mesa.batch_run ----------------------------------------------------------------------------


def batch_run(parameters: dict[str, Any], replications: int, **options: Any) -> pd.DataFrame:
    """``mesa.batch_run`` with ``replications`` unseeded replications, as each Mesa version asks
    for them (3.5 deprecates ``iterations`` for ``rng=[None] * n``; 3.3 has no ``rng``)."""
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        options["rng"] = [None] * replications
    else:
        options["iterations"] = replications
    rows = mesa.batch_run(StrikeModel, parameters, display_progress=False, **options)
    return pd.DataFrame(rows)


def test_batch_run_gives_different_replications_with_the_model_reporters() -> None:
    table = batch_run({"population": "classroom", "temperature_f": [-20, 10]}, replications=5)
    assert len(table) == 10
    assert set(COLLECTED) <= set(table.columns)
    for temperature, runs in table.groupby("temperature_f"):
        assert runs["seed"].nunique() == 5, temperature  # five replications, five fresh seeds
        assert runs["committed_worker"].nunique() > 1, temperature
    strike_day = build_timeline(compose_config([CLASSROOM])).days  # the day at scenario.date
    reruns = []
    for row in table.itertuples():
        # each row's recorded seed repeats its run; the rerun's row for that day is the row
        model = ran(
            StrikeModel(population="classroom", temperature_f=row.temperature_f, seed=row.seed)
        )
        reruns.append(model.totals()["marchers"])
        collected = model.datacollector.get_model_vars_dataframe().set_index("day")
        assert collected.loc[row.day, "committed_worker"] == row.committed_worker
    assert len(set(reruns)) > 1  # different marchers in general
    if (table["day"] == strike_day).all():  # Mesa >= 3.5 reports the last collection
        marchers = table[
            [f"marching_{kind}" for kind in ("worker", "k12", "university", "resident")]
        ]
        assert marchers.sum(axis=1).tolist() == reruns
        assert marchers.sum(axis=1).nunique() > 1
    else:  # Mesa 3.3's batch_run stops one collection short (mesa issue #2514)
        assert (table["day"] == strike_day - 1).all()


def test_batch_run_takes_seeds_and_collects_every_day() -> None:
    """Seeds as each Mesa version takes them: 3.5 passes ``rng=[...]`` as ``seed`` (and would
    overwrite a ``seed`` parameter with it); 3.3 takes ``seed`` as a parameter."""
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        seeds: dict[str, Any] = {"rng": [11, 12]}
        parameters: dict[str, Any] = {"population": "classroom"}
    else:
        seeds, parameters = {}, {"population": "classroom", "seed": [11, 12]}
    rows = mesa.batch_run(
        StrikeModel, parameters, data_collection_period=1, display_progress=False, **seeds
    )
    table = pd.DataFrame(rows)
    assert sorted(table["seed"].unique()) == [11, 12]
    last = build_timeline(compose_config([CLASSROOM])).days  # day 0 .. the day at scenario.date
    for _, run in table.groupby("seed"):
        days = run["day"].tolist()
        assert days == list(range(len(days)))
        assert len(days) in (last, last + 1)  # Mesa 3.3 stops one collection short (#2514)


# --- the datacollector -------------------------------------------------------------------------


@pytest.mark.parametrize("per_agent", [False, True])
def test_datacollector_equals_the_timeseries(per_agent: bool) -> None:
    model = StrikeModel(population="classroom", population__scale=2, threshold_mean=0.25, seed=2)
    while model.running:
        model.step_per_agent() if per_agent else model.step()
    collected = model.datacollector.get_model_vars_dataframe()
    assert list(collected.columns) == list(COLLECTED)
    assert collected["day"].tolist() == list(range(model.strike_day + 1))  # day 0 .. strike day
    assert (collected["seed"] == 2).all()
    series = model.timeseries()
    assert series["people"].sum() > 0
    for row in series.itertuples():
        assert collected.at[row.day, f"{row.form}_{row.agent_type}"] == row.people, row
    reported = {(r.day, f"{r.form}_{r.agent_type}") for r in series.itertuples()}
    for column in COLLECTED[2:]:
        for day in collected["day"]:
            if (day, column) not in reported:  # an action's form on a day without an action
                assert collected.at[day, column] == 0.0, (day, column)
    action_days = [a.day for a in model.timeline.actions]
    assert len(action_days) >= 2  # history: the 10 Jan march, 23 Jan strike, then 13 Feb
    assert sorted(series.query("phase == 'action_day'")["day"].unique()) == action_days
    marching = [f"marching_{k}" for k in ("worker", "k12", "university", "resident")]
    assert collected.loc[action_days, marching].sum(axis=1).tolist() == (
        model.events()["marchers"].tolist()
    )
    totals = collected.iloc[-1]
    assert (
        sum(totals[f"marching_{k}"] for k in ("worker", "k12", "university", "resident"))
        == (model.totals()["marchers"])
    )
    assert totals["striking_worker"] == model.totals()["striking_workers"]
    assert totals["walkout_k12"] == model.totals()["k12_walkouts"]


def test_datacollector_creates_no_agents() -> None:
    """Model reporters only: collecting must not turn 1,000 (or 430,000) people into agents."""
    model = ran(StrikeModel(population="classroom", seed=1))
    assert not model._individuals_created
    assert len(model.datacollector.get_model_vars_dataframe()) == model.strike_day + 1


def test_model_with_its_datacollector_pickles() -> None:
    model = ran(StrikeModel(population="classroom", seed=1))
    copy = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(
        copy.datacollector.get_model_vars_dataframe(),
        model.datacollector.get_model_vars_dataframe(),
    )


def test_collected_columns_cover_every_form_and_type() -> None:
    kinds = ("worker", "k12", "university", "resident")
    expected = {
        f"{o.form}_{kind}"
        for o in outputs.OUTPUTS
        if o.form
        for k, kind in enumerate(kinds)
        if k in o.kinds
    }
    expected |= {f"{form}_{kind}" for form in outputs.CAMPAIGN_FORMS for kind in kinds}
    assert set(COLLECTED) == {"day", "seed"} | expected
    assert "committed_worker" in COLLECTED and "walkout_university" in COLLECTED
    assert "projected_marching_k12" in COLLECTED and "boycott_resident" in COLLECTED
