"""The classroom page: Mesa's SolaraViz around the town, with sliders that take effect at once.

Why the sliders are not SolaraViz ``model_params``: in Mesa 3.x those inputs apply only on Reset
and cannot be moved by a preset. Here the inputs are still Mesa's (``UserInputs`` with ``Slider``
and checkbox specs), but controlled by a per-session :class:`Settings` value: a preset moves every
slider, and any change rebuilds the same town under the new settings *at the same day* (a paired
counterfactual), so the class sees what the slider does. Mesa's Reset goes back to day 0 with the
current settings; Step and Play/Pause are Mesa's own.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import solara

with warnings.catch_warnings():  # Mesa 3.3's ComponentsView trips solara's hook linter on import
    warnings.filterwarnings("ignore", ".*found despite early return", UserWarning)
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.solara_viz import UserInputs
    from mesa.visualization.utils import update_counter

from strikesim.config import ConfigError
from strikesim.viz.demo.drawing import network_figure, participation_figure
from strikesim.viz.demo.scene import (
    DEFAULT_PRESET,
    PRESETS,
    ClassroomModel,
    Settings,
    city_factor,
    org_labels,
    projected_city_marchers,
)

EXPLANATION = (
    "<p><b>What you are seeing.</b> Each dot is a person in a town of 1,000 with Minneapolis's "
    "mix of workers (circles), students (triangles) and other residents (diamonds); lines are ties "
    "of household, work, school, congregation and friendship. Black outlines are union members, "
    "purple ones belong to a congregation of a faith group. A person turns <b>blue</b> once an "
    "endorsing organization's call reaches them, <b>orange</b> once enough of their contacts have "
    "committed (their threshold), and on the strike day committed people march (<b>red</b>) "
    "&mdash; fewer in the cold. Press Step to advance one campaign day. The big number scales the "
    "town's marchers per capita to the whole city (429,954 people) to compare with the ~30,000 "
    "who marched on 13 Feb 2026. Moving a slider replays the same town to the same day with the "
    "new setting.</p>"
)


class PageModel(ClassroomModel):
    """What SolaraViz's Reset rebuilds, from the page's settings (passed as a model parameter)."""

    def __init__(self, settings: solara.Reactive[Settings] | Settings | None = None) -> None:
        super().__init__(settings.value if isinstance(settings, solara.Reactive) else settings)


def input_specs(s: Settings) -> dict[str, Any]:
    """Mesa ``Slider`` specs showing the current settings (the label carries the value)."""
    return {
        "temperature_f": Slider(
            f"Temperature {s.temperature_f:g} °F", s.temperature_f, -30.0, 80.0, 1.0
        ),
        "precipitation_in": Slider(
            f"Rain/snow {s.precipitation_in:g} in", s.precipitation_in, 0.0, 2.0, 0.1
        ),
        "rewire_prob": Slider(f"Random ties {s.rewire_prob:.0%}", s.rewire_prob, 0.0, 1.0, 0.05),
        "friendship_degree": Slider(
            f"Friends each {s.friendship_degree}", s.friendship_degree, 0, 20, 1
        ),
        "scale": Slider(f"People per dot {s.scale}", s.scale, 1, 10, 1),
        "seed": Slider(f"Seed {s.seed}", s.seed, 0, 99, 1),
    }


def changed(s: Settings, name: str, value: Any) -> Settings:
    """The settings after one slider moved."""
    return replace(s, **{name: value})


def toggled(s: Settings, org: str, endorses: bool) -> Settings:
    """The settings after one organization's endorsement was switched (roster order kept)."""
    chosen = (set(s.endorsers) - {org}) | ({org} if endorses else set())
    return replace(s, endorsers=tuple(o for o in org_labels() if o in chosen))


@solara.component
def Controls(model: solara.Reactive[PageModel], settings: solara.Reactive[Settings]) -> None:
    """Preset menu, weather, network and population sliders, endorsement toggles."""
    error = solara.use_reactive("")

    def apply(new: Settings) -> None:
        try:
            model.value = model.value.replay(new)
        except ConfigError as exc:
            error.value = str(exc)
            return
        error.value = ""
        settings.value = new

    labels = {label: name for name, (label, _) in PRESETS.items()}
    current = settings.value
    with solara.Card("Scenario", classes=["strikesim-controls"]):
        solara.Select(
            label="Preset",
            value=PRESETS[current.preset][0],
            values=list(labels),
            on_value=lambda label: apply(Settings.from_preset(labels[label], current.seed)),
        )
        UserInputs(input_specs(current), lambda name, value: apply(changed(current, name, value)))
        if error.value:
            solara.Error(error.value)
    with solara.Card("Who endorses the strike"):
        for org, label in org_labels().items():
            solara.v.Switch(
                label=label,
                v_model=org in current.endorsers,
                on_v_model=lambda on, org=org: apply(toggled(current, org, on)),
                dense=True,
                hide_details=True,
                class_="mt-0",
            )


@solara.component
def NetworkView(model: PageModel) -> None:
    """The town's network, drawn once per model and only recoloured on each step."""
    update_counter.get()  # redraw after Mesa's Step and Play (as Mesa's own components do)
    figure, picture = solara.use_memo(lambda: network_figure(model), [model])
    picture.update(model)
    solara.FigureMatplotlib(figure, format="png", dependencies=[id(model), model.day])


@solara.component
def TurnoutView(model: PageModel) -> None:
    """The big counter, the chart by form and the paragraph for the class."""
    update_counter.get()
    observed = model.config.scenario.observed_marchers
    when = (
        "on the strike day" if not model.running else f"if the strike were today (day {model.day})"
    )
    with solara.Column(classes=["strikesim-turnout"]):
        with solara.Row(style={"align-items": "baseline"}):
            solara.Text(
                f"{projected_city_marchers(model):,}",
                classes=["strikesim-counter"],
                style={"font-size": "56px", "font-weight": "bold", "color": "#d62728"},
            )
            solara.Text(f"vs observed ~{observed:,}", style={"font-size": "28px", "color": "green"})
        solara.Text(
            f"projected marchers, whole city, {when}: this town's marchers × "
            f"{city_factor(model):,.0f} (Minneapolis {model.config.scenario.reference_population:,}"
            " people / the town's)",
            style={"font-size": "13px"},
        )
        with solara.Div(classes=["strikesim-chart"]):
            solara.FigureMatplotlib(
                participation_figure(model), format="png", dependencies=[id(model), model.day]
            )
        solara.HTML(tag="div", unsafe_innerHTML=EXPLANATION)


@solara.component
def ClassroomPage(model: solara.Reactive[PageModel], settings: solara.Reactive[Settings]) -> None:
    """Mesa's SolaraViz with the two views; our controls, which act at once, in its sidebar."""
    with solara.Div(), solara.Div(), solara.Div(), solara.Sidebar():  # after Mesa's cards
        Controls(model, settings)
    SolaraViz(
        model,
        components=[lambda m: NetworkView(m), lambda m: TurnoutView(m)],
        model_params={"settings": settings},
        play_interval=300,
        name="strikesim: how a general strike spreads through a town",
    )


@solara.component
def Page() -> None:
    """One town per browser session."""
    settings = solara.use_reactive(Settings.from_preset(DEFAULT_PRESET))
    first = solara.use_memo(lambda: PageModel(settings.value), [])
    model = solara.use_reactive(first)
    ClassroomPage(model, settings)
