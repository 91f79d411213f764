"""User-supplied graphs: files that run unchanged, and files that fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from strikesim import scenarios
from strikesim.config import ConfigError
from strikesim.engine.model import StrikeModel
from strikesim.engine.population import K12, WORKER
from strikesim.run import simulate


def typed_graph() -> nx.Graph:
    graph = nx.connected_watts_strogatz_graph(400, 8, 0.1, seed=5)
    for v in graph.nodes:
        graph.nodes[v]["type"] = "worker" if v % 2 else "k12"
        if v % 4 == 1:
            graph.nodes[v]["union"] = "seiu_26"
            graph.nodes[v]["sector"] = "building_services"
    return graph


def test_graphml_file_runs_through_the_config(tmp_path: Path, make_config) -> None:
    path = tmp_path / "town.graphml"
    nx.write_graphml(typed_graph(), path)
    cfg = make_config("network=file", f"network.path={path}", "behavior.activist_share=0.05")
    model = StrikeModel(cfg)
    assert model.population.size == 400
    assert (model.population.kind == WORKER).sum() == 200 and (
        model.population.kind == K12
    ).sum() == 200
    assert (model.population.union >= 0).sum() == 100
    assert simulate(cfg).summary["committed"] > 0


def edge_list_model(tmp_path: Path, make_config, edges: str, nodes: str) -> StrikeModel:
    """The model of an edge list and its node table, written as a user would."""
    (tmp_path / "edges.txt").write_text(edges)
    (tmp_path / "nodes.csv").write_text(nodes)
    return StrikeModel(
        make_config(
            "network=file",
            f"network.path={tmp_path / 'edges.txt'}",
            f"network.nodes_path={tmp_path / 'nodes.csv'}",
        )
    )


def test_edge_list_with_node_table(tmp_path: Path, make_config) -> None:
    model = edge_list_model(
        tmp_path,
        make_config,
        "# u v weight\na b 2\nb c\nc a 1.5\n",
        "node,type,immigrant\na,worker,true\nb,university,false\nc,resident,\nd,k12,\n",
    )
    assert model.population.size == 4  # d is isolated but present
    assert model.network.adjacency[0, 1] == 2 and model.network.adjacency[2, 0] == 1.5
    assert model.population.immigrant.tolist() == [True, False, False, False]


def test_a_place_attribute_sets_where_people_live_and_their_trip(
    tmp_path: Path, make_config
) -> None:
    """``place`` (an id of scenarios/data/places.csv) puts a node in that place, with that
    place's trip downtown; nodes without one live in Minneapolis."""
    population = edge_list_model(
        tmp_path,
        make_config,
        "a b\nb c\nc d\n",
        "node,type,place\na,worker,anoka\nb,worker,minneapolis\nc,resident,\nd,k12,dakota\n",
    ).population
    places = scenarios.places().set_index("place_id")
    ids = places.index.tolist()
    assert population.place.tolist() == [ids.index(p) for p in ("anoka", "minneapolis")] + [
        ids.index("minneapolis"),
        ids.index("dakota"),
    ]
    expected = places["mean_distance_km"].to_numpy("float32")[population.place]
    assert population.distance_km.tolist() == expected.tolist()
    assert population.distance_km[0] > population.distance_km[1]  # Anoka is farther downtown


@pytest.mark.parametrize(
    ("name", "content", "extra", "expected"),
    [
        ("bad.graphml", "<graphml><graph>", (), "not a readable graphml file"),
        ("bad.txt", "a b c d\n", (), "line 1 has 4 fields; allowed: 'u v' or 'u v weight'"),
        ("neg.txt", "a b -1\n", (), "has weight=-1.0; allowed: positive finite numbers"),
        ("word.txt", "a b heavy\n", (), "line 1 has weight 'heavy'; allowed: a positive number"),
        (
            "ok.txt",
            "a b\n",
            ("nodes.csv", "id,type\na,worker\n"),
            "missing column 'node'; allowed: columns node, type",
        ),
        (
            "ok.txt",
            "a b\n",
            ("nodes.csv", "node,type\na,soldier\n"),
            "node 0 has type='soldier'; allowed: worker, k12",
        ),
        (
            "ok.txt",
            "a b\n",
            ("nodes.csv", "node,type,place\na,worker,duluth\n"),
            "node 0 has place='duluth'; allowed: minneapolis, hennepin_rest",
        ),
    ],
)
def test_malformed_graph_files_get_one_clear_line(
    tmp_path: Path, make_config, name, content, extra, expected
) -> None:
    path = tmp_path / name
    path.write_text(content)
    overrides = ["network=file", f"network.path={path}"]
    if extra:
        (tmp_path / extra[0]).write_text(extra[1])
        overrides.append(f"network.nodes_path={tmp_path / extra[0]}")
    with pytest.raises(ConfigError) as err:
        StrikeModel(make_config(*overrides))
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_missing_graph_file(make_config) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        StrikeModel(make_config("network=file", "network.path=/nonexistent/x.graphml"))


def test_a_user_graphs_interval_runs_on_the_graph_itself(tmp_path: Path, make_config) -> None:
    """The command's predictive interval coarsens a large generated city to 1:10, never a
    user's graph: its nodes are the people (population.size does not describe them)."""
    from strikesim.run import predictive_members

    path = tmp_path / "town.graphml"
    nx.write_graphml(typed_graph(), path)
    cfg = make_config("population=metro", "network=file", f"network.path={path}")
    members = predictive_members(cfg, 4)
    assert {m.population.scale for m in members} == {1}
    generated = predictive_members(make_config("population=metro"), 4)
    assert {m.population.scale for m in generated} == {10}
