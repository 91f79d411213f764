"""User-supplied networks: a NetworkX graph, a GraphML file or an edge list (+ node CSV).

Any graph runs: nodes are numbered in the graph's node order; node attributes the model
understands (``type``, ``sector``, ``union``, ``immigrant``, ``place``) are read where present
and drawn like the generator's where absent (a person without a ``place`` lives in
Minneapolis). Bad input raises :class:`ConfigError` with one line naming the file, the node or
edge, the value and what is allowed.

Tie weights: edge attribute ``weight`` (default 1). Parallel edges of a MultiGraph or
MultiDiGraph (and of a GraphML file with repeated edges, which NetworkX reads as a multigraph)
add their weights — two ties between the same people weigh as much as one tie of their summed
weight, just as the generator sums the layers of a multiplex network. Self-loops are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from strikesim import scenarios
from strikesim.config import ConfigError, NetworkConfig
from strikesim.engine.network import Network
from strikesim.engine.population import KINDS, NONE, RESIDENT


@dataclass
class GraphAttributes:
    """What the graph says about its nodes; ``None`` where no node carries the attribute."""

    kind: np.ndarray
    sector: np.ndarray | None
    union: np.ndarray | None
    immigrant: np.ndarray | None
    place: np.ndarray | None  # rows of scenarios.places(), NONE where a node has none


def _lookup(values: list, allowed: tuple[str, ...], what: str, source: str) -> np.ndarray:
    index = {name: i for i, name in enumerate(allowed)}
    out = np.full(len(values), NONE, np.int16)
    for i, v in enumerate(values):
        if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
            continue
        if v not in index:
            raise ConfigError(f"{source}: node {i} has {what}={v!r}; allowed: {', '.join(allowed)}")
        out[i] = index[v]
    return out


def from_networkx(graph: nx.Graph, source: str = "graph") -> tuple[Network, GraphAttributes]:
    """Read a NetworkX graph: influence flows along edges (both ways if undirected).

    Edge attribute ``weight`` (default 1) must be a positive finite number; parallel edges add
    their weights (collapsing to ``nx.Graph`` first would keep only the last); self-loops drop.
    """
    if graph.number_of_nodes() == 0:
        raise ConfigError(f"{source}: the graph has no nodes; allowed: a graph with >= 1 node")
    nodes = list(graph.nodes)
    for u, v, w in graph.edges(data="weight", default=1):
        if not isinstance(w, int | float) or not math.isfinite(w) or w <= 0:
            raise ConfigError(
                f"{source}: edge ({u}, {v}) has weight={w!r}; allowed: positive finite numbers"
            )
    # to_scipy_sparse_array sums the weights of parallel edges; self-loops are dropped after
    matrix = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="weight", dtype=np.float64)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    # Integer weights are exact in float32 (half the memory); other weights keep float64 so that
    # the weighted sums match a float64 reference loop to the bit.
    exact = bool(
        np.all(matrix.data == np.round(matrix.data)) and matrix.data.max(initial=0) < 2**24
    )
    # scipy's A[u, v] is the edge u -> v; the person v listens to u, so rows are A's columns
    adjacency = sp.csr_array(
        matrix.T if graph.is_directed() else matrix, dtype=np.float32 if exact else np.float64
    )
    adjacency.indices = adjacency.indices.astype(np.int32, copy=False)
    attrs = nx.get_node_attributes
    types = attrs(graph, "type")
    kind_codes = _lookup([types.get(v) for v in nodes], KINDS, "type", source)
    kind = np.where(kind_codes < 0, RESIDENT, kind_codes).astype(np.int8)
    sector_attr, union_attr = attrs(graph, "sector"), attrs(graph, "union")
    imm_attr, place_attr = attrs(graph, "immigrant"), attrs(graph, "place")
    sectors = tuple(scenarios.sectors()["sector"])
    places = tuple(scenarios.places()["place_id"])
    return Network(adjacency=adjacency), GraphAttributes(
        kind=kind,
        sector=_lookup([sector_attr.get(v) for v in nodes], sectors, "sector", source)
        if sector_attr
        else None,
        union=_lookup(
            [union_attr.get(v) for v in nodes], scenarios.organization_ids(), "union", source
        )
        if union_attr
        else None,
        immigrant=np.array([_truthy(imm_attr.get(v, False)) for v in nodes]) if imm_attr else None,
        place=_lookup([place_attr.get(v) for v in nodes], places, "place", source)
        if place_attr
        else None,
    )


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def load_graph_file(cfg: NetworkConfig) -> tuple[Network, GraphAttributes]:
    """Read ``cfg.path`` (GraphML or whitespace edge list ``u v [weight]``), plus ``nodes_path``."""
    path = Path(cfg.path)
    fmt = cfg.format
    if fmt == "auto":
        fmt = "graphml" if path.suffix.lower() in (".graphml", ".xml") else "edgelist"
    if not path.is_file():
        raise ConfigError(
            f"network.path={cfg.path!r}: no such file; allowed: a readable {fmt} file"
        )
    try:
        graph = nx.read_graphml(path) if fmt == "graphml" else _read_edgelist(path)
    except ConfigError:
        raise
    except Exception as exc:  # the parsers raise many types; the user needs one line
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"network.path={cfg.path!r}: not a readable {fmt} file ({reason}); "
            f"allowed: a valid {fmt} file"
        ) from None
    if cfg.nodes_path:
        _apply_node_table(graph, Path(cfg.nodes_path))
    return from_networkx(graph, source=f"network.path={cfg.path!r}")


def _read_edgelist(path: Path) -> nx.Graph:
    graph = nx.Graph()
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) not in (2, 3):
            raise ConfigError(
                f"network.path={str(path)!r}: line {lineno} has {len(parts)} fields; "
                "allowed: 'u v' or 'u v weight'"
            )
        try:
            weight = float(parts[2]) if len(parts) == 3 else 1.0
        except ValueError:
            raise ConfigError(
                f"network.path={str(path)!r}: line {lineno} has weight {parts[2]!r}; "
                "allowed: a positive number"
            ) from None
        graph.add_edge(parts[0], parts[1], weight=weight)
    return graph


def _apply_node_table(graph: nx.Graph, path: Path) -> None:
    key = f"network.nodes_path={str(path)!r}"
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise ConfigError(f"{key}: not a readable CSV ({exc}); allowed: a CSV file") from None
    for column in ("node", "type"):
        if column not in table.columns:
            raise ConfigError(
                f"{key}: missing column {column!r}; allowed: columns node, type "
                "and optionally sector, union, immigrant, place"
            )
    for row in table.to_dict("records"):
        node = row.pop("node")
        graph.add_node(node)
        graph.nodes[node].update({k: v for k, v in row.items() if v != ""})
