"""Coalition attribution: Shapley axioms on known games, and on the model with common seeds."""

from __future__ import annotations

import itertools

import pytest

from strikesim.cli.attribute import main
from strikesim.studies.attribute import attribute, orders, shapley_exact, shapley_from_orders


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
    config = make_config(
        "population=classroom",
        "coalition.endorsers=[seiu_26,education_minnesota,faith_in_minnesota]",
    )
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
