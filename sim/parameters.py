"""The parameter table: every config key with its value, unit, source or prior, as text to publish.

Two documents show the model's parameters: ``docs/model.md`` (the shipped values of the default
run, written by ``docs/make_parameters.py``) and the supplement ``strikesim report`` writes for a
sweep (the values its jobs ran with). Both build their rows from the schema's own ``param(...)``
declarations (:func:`strikesim.config.parameter_rows`), and both lay them out here, so that a
table in the docs and one in a paper's supplement cannot drift apart in content or in form.

The docs script lives outside the package (``docs/`` is not installed), which is why the layout
is in the library and the script calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

from strikesim.compose import compose_config
from strikesim.config import SHIPPED_RUN, StrikeConfig, parameter_rows


def markdown_cell(text: object) -> str:
    """``text`` as one Markdown table cell: a ``|`` would end the cell, a newline the row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[dict[str, str]], code: tuple[str, ...] = ()) -> str:
    """A GitHub Markdown table of ``rows`` (columns in the first row's order); the ``code``
    columns are set in backticks (empty cells stay empty)."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [f"`{row[c]}`" if c in code and row[c] else markdown_cell(row[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parameters_table(values: StrikeConfig | None = None) -> str:
    """The Markdown parameter table of ``values`` (default: the shipped default run,
    :data:`strikesim.config.SHIPPED_RUN`) — the table of ``docs/model.md``."""
    if values is None:
        values = compose_config(list(SHIPPED_RUN))
    return markdown_table(parameter_rows(values), code=("key",))
