"""The cascade on the network beside the turnout curve, as a GIF (and MP4): ``strikesim animate``.

For slides and handouts. One frame per day: the campaign's start (day 0), each campaign day, the
strike day. The town is the classroom demo's (``population=classroom``, at most 1,000 drawn
people) unless overrides say otherwise; any Hydra override works as for a run.

A view: :func:`animation_config` refuses a town too big to draw (ConfigError), :func:`animate`
writes the files and returns their paths. The command line parses, prints and exits.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.figure import Figure

from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig
from strikesim.engine.model import StrikeModel
from strikesim.results import atomic_write
from strikesim.viz.demo.drawing import NetworkPicture, draw_participation, network_legend
from strikesim.viz.demo.scene import MAX_DRAWN, projected_city_marchers

DEFAULT_FPS = 2.0  # frames (days) per second: a campaign of a few weeks plays in seconds


def animation_config(overrides: list[str]) -> StrikeConfig:
    """The classroom town unless a population is given; at most :data:`MAX_DRAWN` agents."""
    base = [] if any(o.startswith("population=") for o in overrides) else ["population=classroom"]
    config = compose_config([*base, *overrides])
    agents = config.population.size // config.population.scale
    if agents > MAX_DRAWN:
        raise ConfigError(
            f"population.size / population.scale = {agents:,} agents; allowed: at most "
            f"{MAX_DRAWN:,} drawn (e.g. population=classroom)"
        )
    return config


def movie(config: StrikeConfig) -> tuple[FuncAnimation, StrikeModel]:
    """A fresh town and the animation that runs it, one frame per day."""
    model = StrikeModel(config)
    fig = Figure(figsize=(12, 6.2), dpi=80, layout="constrained")
    net_ax, curve_ax = fig.subplots(1, 2, width_ratios=[1.1, 1])
    picture = NetworkPicture(model, net_ax)
    network_legend(net_ax)

    def frame(index: int) -> None:
        if index > 0:
            model.step()
        picture.update(model)
        curve_ax.clear()
        draw_participation(model, curve_ax)
        when = "strike day" if not model.running else f"campaign day {model.day}"
        fig.suptitle(
            f"{config.scenario.name}, {when}: projected marchers, whole city "
            f"{projected_city_marchers(model):,} (observed ~{config.scenario.observed_marchers:,})"
        )

    frames = model.strike_day + 1  # day 0, each campaign day, the strike day
    return FuncAnimation(fig, frame, frames=frames, init_func=lambda: None, repeat=False), model


def animate(config: StrikeConfig, out: Path, fps: float = DEFAULT_FPS) -> list[Path]:
    """Write the GIF (and an MP4 beside it if ffmpeg is on PATH); return the files written."""
    writers = [(out, PillowWriter)]
    if shutil.which("ffmpeg"):
        writers.append((out.with_suffix(".mp4"), FFMpegWriter))
    for path, writer in writers:
        animation, model = movie(config)
        atomic_write(path, lambda tmp: animation.save(tmp, writer=writer(fps=fps), dpi=80))  # noqa: B023
        model.release()
    return [path for path, _ in writers]
