"""behavior.posterior: each run draws its behaviour from a recorded posterior table, by seed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from strikesim import draws
from strikesim.compose import compose_config
from strikesim.config import ConfigError
from strikesim.engine.ensemble import run_ensemble
from strikesim.engine.model import StrikeModel
from strikesim.scenarios import posteriors

ROWS = (
    {"draw": "0", "weight": "1", "behavior.threshold_mean": "0.30", "scenario.call_lead_days": "5"},
    {"draw": "1", "weight": "1", "behavior.threshold_mean": "0.40", "scenario.call_lead_days": "9"},
    {"draw": "2", "weight": "0", "behavior.threshold_mean": "0.20", "scenario.call_lead_days": "3"},
)


@pytest.fixture
def packaged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A posterior named ``toy`` with three draws, the third of weight 0."""
    monkeypatch.setattr(posteriors, "posterior_names", lambda: ("toy",))
    monkeypatch.setattr(posteriors, "posterior_rows", lambda name: ROWS)
    monkeypatch.setattr(draws, "posterior_rows", lambda name: ROWS)
    draws.posterior_table.cache_clear()
    yield
    draws.posterior_table.cache_clear()


def toy(*overrides: str):
    return compose_config(["population=classroom", "behavior.posterior=toy", *overrides])


def without_posterior(config):
    return replace(config, behavior=replace(config.behavior, posterior=""))


def test_a_run_takes_its_seeds_draw_and_records_the_values(packaged: None) -> None:
    resolved = [draws.resolve(toy(f"seed={s}")) for s in range(20)]
    chosen = {c.behavior.posterior_draw for c in resolved}
    assert chosen == {0, 1}  # both weighted rows, never the weight-0 row
    for c in resolved:
        row = ROWS[c.behavior.posterior_draw]
        assert c.behavior.threshold_mean == float(row["behavior.threshold_mean"])
        assert c.scenario.call_lead_days == int(row["scenario.call_lead_days"])
    again = draws.resolve(toy("seed=3"))
    assert again == resolved[3] and draws.resolve(again) == again  # repeatable, idempotent


def test_the_model_and_an_ensemble_run_the_drawn_values(packaged: None) -> None:
    alone = [StrikeModel(toy("seed=4", f"behavior.posterior_draw={d}")) for d in (0, 1)]
    for model in alone:
        model.run()
    members = run_ensemble([toy("seed=4", f"behavior.posterior_draw={d}") for d in (0, 1)])
    for model, member in zip(alone, members, strict=True):
        assert member.config == model.config
        assert member.totals == model.totals()
    assert alone[0].config.behavior.threshold_mean == 0.30
    assert alone[1].totals()["committed"] < alone[0].totals()["committed"]  # higher thresholds


def test_unknown_posterior_and_draw_past_the_table_are_one_line_errors(packaged: None) -> None:
    with pytest.raises(ConfigError, match=r"behavior.posterior='nope'.*allowed: toy"):
        compose_config(["behavior.posterior=nope"])
    with pytest.raises(ConfigError, match=r"behavior.posterior_draw=3 .* allowed: -1 .* 0 to 2"):
        toy("behavior.posterior_draw=3")
    without = without_posterior(toy("behavior.posterior_draw=2"))
    assert draws.resolve(without) is without


def test_the_command_run_carries_a_predictive_interval_per_action_day(packaged: None) -> None:
    from strikesim.run import (
        predictive_interval,
        predictive_members,
        report,
        simulate,
        simulate_with_interval,
    )

    config = toy("seed=1")
    result = simulate_with_interval(config, draws=8)
    alone = simulate(config)
    assert result.summary["marchers"] == alone.summary["marchers"]  # the run is the run alone
    assert result.events.equals(alone.events)
    predictive = result.summary["predictive"]
    assert list(predictive) == list(result.events["event"])  # every action day, in order
    for interval in predictive.values():
        assert interval["low_90"] <= interval["median"] <= interval["high_90"]
        assert interval["draws"] == 8
    members = predictive_members(config, 8)  # the worker's numbers are this process's
    assert predictive == predictive_interval(members)
    assert {m.behavior.threshold_mean for m in members} <= {0.30, 0.40}
    assert all(not m.behavior.posterior and m.seed == 1 for m in members)
    text = report(result.summary)
    assert "90% interval" in text and "8 posterior draws on one city)" in text
    assert "posterior 'toy', draw" in text
    assert "predictive" not in simulate_with_interval(without_posterior(config)).summary


def test_a_pinned_key_is_held_in_the_run_and_its_interval(packaged: None) -> None:
    from strikesim.run import predictive_members

    config = toy("seed=1", "behavior.threshold_mean=0.33")
    assert config.behavior.pinned == ["behavior.threshold_mean"]
    assert draws.resolve(config).behavior.threshold_mean == 0.33
    assert draws.resolve(config).scenario.call_lead_days in (5, 9)  # the rest is drawn
    assert {m.behavior.threshold_mean for m in predictive_members(config, 6)} == {0.33}
    with pytest.raises(ConfigError, match=r"behavior.pinned: 'behavior.march_base' is not a key"):
        toy("behavior.pinned=[behavior.march_base]")
    # a pinned value that the seed's draw makes invalid is refused when composed, draw named
    # (sd 0.42 fits the default mean 0.35 and draw 1's 0.40, not draw 0's 0.30, shifted)
    seeds = {draws.resolve(toy(f"seed={s}")).behavior.posterior_draw: s for s in range(20)}
    assert toy(f"seed={seeds[1]}", "behavior.threshold_sd=0.42").behavior.threshold_sd == 0.42
    with pytest.raises(ConfigError, match=rf"too wide .* drawn for seed {seeds[0]}; behavior="):
        toy(f"seed={seeds[0]}", "behavior.threshold_sd=0.42")


def test_a_failing_run_stops_its_interval_worker_at_once(
    packaged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad input found while the point run builds (or Ctrl-C) terminates the interval's worker
    rather than waiting for its draws; the error reaches the caller unchanged."""
    from strikesim import run

    calls: list[str] = []

    class Pool:
        def apply_async(self, *args: object) -> None:
            calls.append("started")

        def terminate(self) -> None:
            calls.append("terminated")

        def close(self) -> None:
            calls.append("closed")

        def join(self) -> None:
            calls.append("joined")

    def broken(config: object) -> None:
        raise ConfigError("network.path='x': no such file; allowed: a readable file")

    monkeypatch.setattr(run, "_interval_worker", Pool)
    monkeypatch.setattr(run, "simulate", broken)
    with pytest.raises(ConfigError, match="no such file"):
        run.simulate_with_interval(toy("seed=1"), draws=2)
    assert calls == ["started", "terminated", "closed", "joined"]
