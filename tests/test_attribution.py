"""Coalition attribution: Shapley axioms on known games, on the model with common seeds, over
posterior draws (one per seed: draw ids, intervals, rank probabilities) and at one parameter set
(behavior=default), and the output folder (provenance, sub-coalition runs, figure)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer
from omegaconf import OmegaConf

from strikesim.cli.attribute import main
from strikesim.compose import compose_config
from strikesim.draws import resolve
from strikesim.run import simulate
from strikesim.studies.attribute import (
    attribute,
    orders,
    rank_probabilities,
    render,
    run_attribution,
    shapley_exact,
    shapley_from_orders,
    summarize,
)
from strikesim.viz.study_plots import (
    BLUE,
    ORANGE,
    attribution_figure,
    attribution_intervals_figure,
)

THREE = "coalition.endorsers=[seiu_26,education_minnesota,faith_in_minnesota]"
# A ten-day campaign with nothing but the coalition's calls (no documented history, whose
# killings and earlier days would move the 1,000-person town whoever calls) and calls strong
# enough to matter there: the coalition's effect is then clearly positive in every seed.
CALLS_MATTER = (
    "scenario.history=false",
    "scenario.start_date=2026-02-03",
    "behavior.union_call=0.3",
    "behavior.faith_call=0.3",
    "behavior.school_call=0.3",
)


def game(players: list[str], weights: dict[str, float], synergy: float) -> dict:
    """Additive weights plus a bonus when a and b are both in: a game with a known answer."""
    value = {}
    for size in range(len(players) + 1):
        for c in itertools.combinations(players, size):
            s = frozenset(c)
            value[s] = sum(weights[p] for p in s) + (synergy if {"a", "b"} <= s else 0.0)
    return value


def test_exact_shapley_splits_synergy_and_ignores_dummies() -> None:
    players = ["a", "b", "c", "d"]
    value = game(players, {"a": 10, "b": 4, "c": 1, "d": 0}, synergy=6)
    phi = shapley_exact(players, value)
    assert phi == pytest.approx({"a": 13, "b": 7, "c": 1, "d": 0})
    assert sum(phi.values()) == pytest.approx(value[frozenset(players)] - value[frozenset()])


def test_all_orders_equal_exact_and_sampled_orders_converge() -> None:
    players = ["a", "b", "c"]
    value = game(players, {"a": 3, "b": 2, "c": 5}, synergy=4)
    exact = shapley_exact(players, value)
    assert shapley_from_orders(players, value, orders(players, None, 0)) == pytest.approx(exact)
    sampled = shapley_from_orders(players, value, orders(players, 400, 0))
    assert sampled == pytest.approx(exact, abs=0.3)
    assert sum(sampled.values()) == pytest.approx(14)  # efficient for every sample


@pytest.mark.parametrize("behavior", ["behavior=default", "behavior=posterior"])
def test_model_attribution_adds_up_per_seed(make_config, behavior: str) -> None:
    config = make_config("population=classroom", THREE, *CALLS_MATTER, behavior)
    per_seed = attribute(config, [0, 1])
    assert ("draw" in per_seed) == (behavior == "behavior=posterior")
    for _, rows in per_seed.groupby("seed"):
        total = rows["coalition_marchers"].iloc[0] - rows["no_endorser_marchers"].iloc[0]
        assert total > 0
        assert rows["shapley"].sum() == pytest.approx(total)
    again = attribute(config, [0, 1])
    assert again.equals(per_seed)  # common random numbers: same seed, same answer


def test_cli_rejects_bad_flags_and_empty_coalition(capsys) -> None:
    assert main(["--seeds", "0"]) == 2
    assert "--seeds=0; allowed: an integer from 1 to" in capsys.readouterr().err
    assert main(["coalition=none"]) == 2
    assert "coalition.endorsers is empty" in capsys.readouterr().err


def test_attribution_folder_has_config_provenance_plot_and_subsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "attribution"
    argv = ["population=classroom", THREE, "--seeds", "2", "--out", str(out)]
    assert main(argv) == 0
    assert "written:" in capsys.readouterr().out
    config = compose_config(["population=classroom", THREE])

    saved = OmegaConf.load(out / "config.yaml")  # the base run's config
    assert saved.population.size == 1000
    assert list(saved.coalition.endorsers) == list(config.coalition.endorsers)
    record = json.loads((out / "provenance.json").read_text())
    assert record["command"] == "strikesim attribute " + " ".join(argv).replace(THREE, f"'{THREE}'")
    assert record["seeds"] == [0, 1] and record["method"] == "exact Shapley"
    assert record["versions"]["strikesim"] and "git_commit" in record
    assert (out / "attribution.png").read_bytes()[:4] == b"\x89PNG"

    subsets = pd.read_csv(out / "subsets.csv")
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "subsets.parquet"), subsets, check_dtype=False
    )
    assert len(subsets) == 2 * 2**3  # every sub-coalition of 3 endorsers, per seed
    grand = subsets[subsets["grand_coalition"]].set_index("seed")["marchers"]
    for seed in (0, 1):  # the whole coalition's run is the base run at that seed
        base = simulate(dataclasses.replace(config, seed=seed)).summary["marchers"]
        assert grand[seed] == base
    per_seed = pd.read_csv(out / "attribution.csv")
    for seed, rows in per_seed.groupby("seed"):
        assert rows["coalition_marchers"].iloc[0] == grand[seed]
        empty = subsets[(subsets["seed"] == seed) & (subsets["size"] == 0)]["marchers"]
        assert rows["no_endorser_marchers"].iloc[0] == empty.item()


def test_attribution_figure_bars_are_means_with_intervals_in_colour_blind_safe_colours(
    make_config,
) -> None:
    config = make_config("population=classroom", THREE, "behavior=default")
    result = run_attribution(config, [0, 1, 2])
    summary = summarize(result.per_seed)
    assert (summary["shapley_ci_low"] <= summary["shapley_mean"]).all()
    assert (summary["shapley_mean"] <= summary["shapley_ci_high"]).all()
    fig = attribution_figure(summary, result.per_seed, "test")
    try:
        ax = fig.axes[0]
        shapley, loo = [c for c in ax.containers if isinstance(c, BarContainer)]
        widths = [bar.get_width() for bar in shapley.patches]
        assert widths == pytest.approx(list(summary["shapley_mean"]))
        assert [bar.get_width() for bar in loo.patches] == pytest.approx(list(summary["loo_mean"]))
        assert to_hex(shapley.patches[0].get_facecolor()) == BLUE.lower()  # Okabe-Ito
        assert to_hex(loo.patches[0].get_facecolor()) == ORANGE.lower()
        assert shapley.errorbar is not None and loo.errorbar is not None
        assert [t.get_text() for t in ax.get_yticklabels()] == list(summary.index)
    finally:
        plt.close(fig)


# --- over the posterior: each seed one draw -------------------------------------------------
def table(values: dict[int, dict[str, float]]) -> pd.DataFrame:
    """A per-seed table with Shapley values only (what the rank probabilities read)."""
    rows = [
        {"seed": seed, "draw": seed, "organization": org, "shapley": v, "leave_one_out": v}
        for seed, by_org in values.items()
        for org, v in by_org.items()
    ]
    return pd.DataFrame(rows)


def test_rank_probabilities_add_up_to_one_and_ties_share_their_ranks() -> None:
    per_seed = table(
        {
            0: {"a": 30.0, "b": 10.0, "c": 0.0, "d": 0.0},  # c, d tied for 3rd-4th
            1: {"a": 5.0, "b": 20.0, "c": 0.0, "d": 0.0},
            2: {"a": 7.0, "b": 7.4, "c": 7.2, "d": -3.0},  # 7.0, 7.2, 7.4 tie to the person
            3: {"a": 9.0, "b": 1.0, "c": 4.0, "d": 2.0},  # a, c, d, b
        }
    )
    ranks = rank_probabilities(per_seed)
    assert list(ranks.index) == ["a", "b", "c", "d"]
    assert list(ranks.columns) == ["rank_1", "rank_2", "rank_3", "rank_4"]
    assert ranks.sum(axis=1).to_numpy() == pytest.approx(np.ones(4))  # each organization
    assert ranks.sum(axis=0).to_numpy() == pytest.approx(np.ones(4))  # each rank
    third = 1 / 3
    assert ranks.loc["a"].to_numpy() == pytest.approx(
        [(1 + third + 1) / 4, (1 + third) / 4, third / 4, 0]
    )
    assert ranks.loc["c"].to_numpy() == pytest.approx(
        [third / 4, (third + 1) / 4, (0.5 + 0.5 + third) / 4, (0.5 + 0.5) / 4]
    )
    assert ranks.loc["d", "rank_4"] == pytest.approx((0.5 + 0.5 + 1 + 0) / 4)
    summary = summarize(per_seed)
    assert summary.loc["a", "p_first"] == pytest.approx(ranks.loc["a", "rank_1"])
    assert summary["mean_rank"].sum() == pytest.approx(1 + 2 + 3 + 4)  # ranks are shared out


def test_each_seed_is_the_posterior_draw_resolve_picks_and_shapley_adds_up_per_draw(
    make_config,
) -> None:
    config = make_config("population=classroom", THREE, *CALLS_MATTER)  # shipped: posterior
    assert config.behavior.posterior and config.behavior.posterior_draw == -1
    seeds = [0, 1]
    expected = {
        s: resolve(dataclasses.replace(config, seed=s)).behavior.posterior_draw for s in seeds
    }
    assert len(set(expected.values())) == 2  # two different draws, not one parameter set
    result = run_attribution(config, seeds)
    assert result.over_posterior and result.draws == expected
    per_seed, subsets = result.per_seed, result.subsets
    assert list(per_seed.columns[:2]) == ["seed", "draw"]
    assert list(subsets.columns[:2]) == ["seed", "draw"]
    for seed, rows in per_seed.groupby("seed"):
        assert set(rows["draw"]) == {expected[seed]}
        assert set(subsets.loc[subsets["seed"] == seed, "draw"]) == {expected[seed]}
        total = rows["coalition_marchers"].iloc[0] - rows["no_endorser_marchers"].iloc[0]
        assert rows["shapley"].sum() == pytest.approx(total)  # efficient in every draw
        # the recorded draw is the one that ran: that draw, fixed, gives the same grand coalition
        fixed = dataclasses.replace(
            config,
            seed=seed,
            behavior=dataclasses.replace(config.behavior, posterior_draw=expected[seed]),
        )
        assert simulate(fixed).summary["marchers"] == rows["coalition_marchers"].iloc[0]
    report = render(per_seed, config, result.method, "test")
    assert "2 posterior draws" in report and "Rank probabilities" in report
    assert "P(1st)" in report and "Most likely first:" in report


def test_a_fixed_draw_or_default_behaviour_is_one_parameter_set(make_config) -> None:
    for behavior in ("behavior=default", "behavior.posterior_draw=7"):
        config = make_config("population=classroom", THREE, behavior)
        result = run_attribution(config, [0, 1])
        assert not result.over_posterior
        assert "draw" not in result.per_seed and "draw" not in result.subsets
        assert "p_first" not in summarize(result.per_seed)
        report = render(result.per_seed, config, result.method, "test")
        assert "seeds are noise replications at one parameter set" in report
        assert "Rank probabilities" not in report


def test_posterior_folder_has_draws_rank_probabilities_and_interval_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "posterior"
    assert (
        main(["population=classroom", THREE, *CALLS_MATTER, "--seeds", "4", "--out", str(out)]) == 0
    )
    assert "Rank probabilities" in capsys.readouterr().out
    per_seed = pd.read_csv(out / "attribution.csv")
    record = json.loads((out / "provenance.json").read_text())
    assert record["over_posterior"] and record["posterior"] == "campaign_2026"
    assert record["draws"] == list(per_seed.groupby("seed")["draw"].first())
    ranks = pd.read_csv(out / "rank_probabilities.csv", index_col="organization")
    assert ranks.sum(axis=1).to_numpy() == pytest.approx(np.ones(3))
    assert ranks.sum(axis=0).to_numpy() == pytest.approx(np.ones(3))
    summary = pd.read_csv(out / "summary.csv", index_col="organization")
    assert list(ranks.index) == list(summary.index)
    assert summary["p_first"].to_numpy() == pytest.approx(ranks["rank_1"].to_numpy())
    assert (summary["shapley_q05"] <= summary["shapley_median"]).all()
    assert (summary["shapley_median"] <= summary["shapley_q95"]).all()
    assert (out / "attribution.png").read_bytes()[:4] == b"\x89PNG"

    default = tmp_path / "default"
    assert main(["population=classroom", THREE, "behavior=default", "--out", str(default)]) == 0
    assert "noise replications" in (default / "report.txt").read_text()
    assert not (default / "rank_probabilities.csv").exists()
    assert "draw" not in pd.read_csv(default / "attribution.csv")
    assert not json.loads((default / "provenance.json").read_text())["over_posterior"]


def test_interval_figure_draws_central_90_percent_medians_and_ranks(make_config) -> None:
    result = run_attribution(make_config("population=classroom", THREE, *CALLS_MATTER), [0, 1, 2])
    summary = summarize(result.per_seed)
    ranks = rank_probabilities(result.per_seed).loc[summary.index]
    fig = attribution_intervals_figure(summary, result.per_seed, ranks, "test")
    try:
        ax, right = fig.axes[:2]
        by_gid = {c.get_gid(): c for c in ax.collections if c.get_gid()}
        for prefix, colour in (("shapley", BLUE), ("loo", ORANGE)):
            segments = by_gid[f"{prefix}_interval"].get_segments()
            ends = np.array([[seg[0][0], seg[1][0]] for seg in segments])
            assert ends[:, 0] == pytest.approx(summary[f"{prefix}_q05"].to_numpy())
            assert ends[:, 1] == pytest.approx(summary[f"{prefix}_q95"].to_numpy())
            assert to_hex(by_gid[f"{prefix}_interval"].get_colors()[0]) == colour.lower()
        medians = [line for line in ax.lines if line.get_gid() == "shapley_median"]
        assert medians[0].get_xdata() == pytest.approx(summary["shapley_median"].to_numpy())
        stacks = [c for c in right.containers if isinstance(c, BarContainer)]
        assert len(stacks) == len(ranks.columns)
        shares = np.array([[bar.get_width() for bar in stack.patches] for stack in stacks])
        assert shares.sum(axis=0) == pytest.approx(np.ones(len(summary)))  # each organization
        assert shares[0] == pytest.approx(ranks["rank_1"].to_numpy())
        assert [t.get_text() for t in ax.get_yticklabels()] == list(summary.index)
    finally:
        plt.close(fig)
