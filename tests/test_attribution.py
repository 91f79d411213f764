"""Coalition attribution: Shapley axioms on known games, on the model with common seeds, and the
output folder (provenance, sub-coalition runs, figure)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer
from omegaconf import OmegaConf

from strikesim.cli.attribute import main
from strikesim.compose import compose_config
from strikesim.run import simulate
from strikesim.studies.attribute import (
    attribute,
    orders,
    run_attribution,
    shapley_exact,
    shapley_from_orders,
    summarize,
)
from strikesim.viz.study_plots import BLUE, ORANGE, attribution_figure

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


def test_model_attribution_adds_up_per_seed(make_config) -> None:
    config = make_config("population=classroom", THREE, *CALLS_MATTER)
    per_seed = attribute(config, [0, 1])
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
    result = run_attribution(make_config("population=classroom", THREE), [0, 1, 2])
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
