"""The cascade on the network beside the turnout curve, as a GIF (and MP4): ``strikesim animate``.

For slides and handouts. One frame per day: the campaign's start (day 0), each campaign day, the
strike day. The town and settings are the classroom page's (a metro sample of 1,000 people,
``behavior=default``: :data:`strikesim.viz.demo.scene.TOWN`; at most 1,000 drawn people) unless
overrides say otherwise; any Hydra override works as for a run.

A view: :func:`animation_config` refuses a town too big to draw (ConfigError), :func:`animate`
draws the days once (:class:`Movie`) and writes the files, returning their paths. The command line
parses, prints and exits.

**Colours.** A GIF frame holds at most 256 colours. Left to Pillow, every frame is quantized on its
own (an adaptive palette per frame), so a colour's nearest entry changes from frame to frame: in
the first frames, with few orange or red dots, "sympathetic" came out grey, "committed" pink and
every chart line purple, drifting until ~day 12. Here every frame is mapped, without dithering, to
**one palette for the whole GIF** (:func:`gif_palette`) that holds each colour the drawing names
exactly (:func:`declared_colours`: states, chart lines, outlines), the rest learned from the frames
(antialiased edges, text). So a swatch has the legend's colour in every frame, as on the page.

**MP4** (``mp4=True``, ``--mp4``): written with the ffmpeg binary that the ``imageio-ffmpeg`` wheel
ships (part of the ``demo`` extra), so it does not depend on an ffmpeg on the PATH.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image

from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig
from strikesim.engine.model import StrikeModel
from strikesim.results import atomic_write
from strikesim.viz.demo.adapter import projected_city_marchers
from strikesim.viz.demo.drawing import NetworkPicture, draw_participation, network_legend
from strikesim.viz.demo.palette import (
    FAITH_EDGE,
    FORM_COLOURS,
    OBSERVED_COLOUR,
    STATE_COLOURS,
    UNION_EDGE,
)
from strikesim.viz.demo.scene import MAX_DRAWN, TOWN

DEFAULT_FPS = 2.0  # frames (days) per second: a campaign of a few weeks plays in seconds
DPI = 80
GIF_COLOURS = 256  # the GIF format's limit per palette
PALETTE_SAMPLE_FRAMES = 12  # frames the learned part of the palette is drawn from (evenly spaced)

RGB = tuple[int, int, int]


def animation_config(overrides: list[str]) -> StrikeConfig:
    """The classroom page's town and settings (:data:`~strikesim.viz.demo.scene.TOWN`: a metro
    sample of 1,000, ``behavior=default``) under ``overrides``; a population or behaviour
    preset given replaces the page's, a key given replaces its value. At most
    :data:`MAX_DRAWN` agents."""
    given = [o.lstrip("+~").split("=", 1)[0] for o in overrides]
    base = [
        o
        for o in TOWN
        if (key := o.split("=", 1)[0]) not in given and key.split(".")[0] not in given
    ]
    config = compose_config([*base, *overrides])
    agents = config.population.size // config.population.scale
    if agents > MAX_DRAWN:
        raise ConfigError(
            f"population.size / population.scale = {agents:,} agents; allowed: at most "
            f"{MAX_DRAWN:,} drawn (e.g. population.size=1000)"
        )
    return config


def rgb(colour: str) -> RGB:
    """A matplotlib colour as Agg draws it: 8 bits per channel."""
    r, g, b = (round(255 * c) for c in to_rgb(colour))
    return r, g, b


def declared_colours() -> list[RGB]:
    """Every colour the drawing names (states, chart lines, outlines, paper, ink), no repeats.

    These are the palette entries kept exact, so a dot or a line drawn in one of them is that
    colour in the GIF, bit for bit.
    """
    names = [
        *STATE_COLOURS,
        *FORM_COLOURS.values(),
        OBSERVED_COLOUR,
        UNION_EDGE,
        FAITH_EDGE,
        "white",
        "black",
    ]
    return list(dict.fromkeys(rgb(name) for name in names))


class Movie:
    """A fresh town on one figure (network and legend left, participation right), drawn per day.

    :meth:`frames` advances the model as it is consumed; between two frames, :attr:`figure` is the
    picture just drawn (the tests read the legend's positions from it).
    """

    def __init__(self, config: StrikeConfig) -> None:
        self.config = config
        self.model = StrikeModel(config)
        self.figure = Figure(figsize=(12, 6.2), dpi=DPI, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.network_ax, self.chart_ax = self.figure.subplots(1, 2, width_ratios=[1.1, 1])
        self.picture = NetworkPicture(self.model, self.network_ax)
        network_legend(self.network_ax)

    @property
    def days(self) -> int:
        """Frames in the movie: day 0, each campaign day, the strike day."""
        return self.model.strike_day + 1

    def frames(self) -> Iterator[np.ndarray]:
        """Each day's picture, day 0 first, as RGB (height x width x 3, uint8)."""
        for index in range(self.days):
            if index > 0:
                self.model.step()
            self._draw()
            yield np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def _draw(self) -> None:
        model, config = self.model, self.config
        self.picture.update(model)
        self.chart_ax.clear()
        draw_participation(model, self.chart_ax)
        when = "strike day" if not model.running else f"campaign day {model.day}"
        self.figure.suptitle(
            f"{config.scenario.name}, {when}: projected marchers, whole metro "
            f"{projected_city_marchers(model):,} (observed ~{config.scenario.observed_marchers:,})"
        )
        self.canvas.draw()

    def release(self) -> None:
        """Free the model's agents (see :meth:`StrikeModel.release`)."""
        self.model.release()


def _packed(pixels: np.ndarray) -> np.ndarray:
    """RGB pixels (..., 3, uint8) as one integer each, 0xRRGGBB: comparable and sortable."""
    return (pixels.astype(np.uint32) << np.array([16, 8, 0], dtype=np.uint32)).sum(axis=-1)


def gif_palette(frames: Sequence[np.ndarray]) -> np.ndarray:
    """One palette for every frame (256 x 3, uint8): :func:`declared_colours` exactly, then learned.

    The learned entries cover what antialiasing mixes (edges of dots and lines, text). They are
    learned from the pixels that are not already a declared colour, in up to
    :data:`PALETTE_SAMPLE_FRAMES` evenly spaced frames (the first and last among them), by Pillow's
    max-coverage quantizer refined by k-means: on the classroom town, its worst pixel is ~15 levels
    off, where median cut (which spends entries on the frequent blends) left some ~80 off.
    """
    exact = np.array(declared_colours(), dtype=np.uint8)
    picked = np.unique(np.linspace(0, len(frames) - 1, PALETTE_SAMPLE_FRAMES).round().astype(int))
    pixels = np.concatenate([frames[i].reshape(-1, 3) for i in picked])
    rest = pixels[~np.isin(_packed(pixels), _packed(exact))]
    entries = [exact]
    if len(rest):
        learned = Image.fromarray(rest[np.newaxis]).quantize(
            GIF_COLOURS - len(exact),
            method=Image.Quantize.MAXCOVERAGE,
            kmeans=3,
            dither=Image.Dither.NONE,
        )
        colours = np.asarray(learned.getpalette() or [], dtype=np.uint8).reshape(-1, 3)
        entries.append(colours[: GIF_COLOURS - len(exact)])
    return np.concatenate(entries)


def on_palette(frame: np.ndarray, palette: np.ndarray) -> Image.Image:
    """The frame in palette colours: each pixel the nearest entry (RGB distance), no dithering.

    Not ``Image.quantize(palette=...)``: Pillow looks entries up through a cache of 6 bits per
    channel, so a colour can get a neighbour of its own exact entry (white became (252, 252, 252)).
    Dithering would scatter neighbouring entries over flat areas, so a swatch would not be its
    colour either. Here the nearest entry is computed for each distinct colour of the frame (a few
    thousand), exact when the colour is in the palette.
    """
    colours, where = np.unique(_packed(frame), return_inverse=True)
    rgb_colours = (colours[:, np.newaxis] >> np.array([16, 8, 0], dtype=np.uint32)) & 0xFF
    offsets = rgb_colours[:, np.newaxis, :].astype(np.int32) - palette[np.newaxis].astype(np.int32)
    nearest = (offsets**2).sum(axis=2).argmin(axis=1).astype(np.uint8)
    index = nearest[where.reshape(frame.shape[:2])]
    image = Image.frombytes("P", (frame.shape[1], frame.shape[0]), index.tobytes())
    image.putpalette(palette.ravel().tolist())
    return image


def write_gif(frames: Sequence[np.ndarray], path: Path, fps: float) -> None:
    """The frames as a looping GIF, all on one :func:`gif_palette` (:func:`on_palette`)."""
    palette = gif_palette(frames)
    images = [on_palette(frame, palette) for frame in frames]
    images[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=int(1000 / fps),
        loop=0,
        optimize=False,  # keep the one palette: no per-frame pruning of unused entries
    )


def write_mp4(frames: Sequence[np.ndarray], path: Path, fps: float) -> None:
    """The frames as an H.264 MP4 (yuv420p, for any player), one video frame per frame.

    With imageio-ffmpeg's bundled ffmpeg. The figure's size in pixels (960 x 496) is even, as
    yuv420p needs, so ``macro_block_size=2`` leaves it as drawn (imageio-ffmpeg rescales a size
    that is not a multiple of it).
    """
    height, width = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=fps,
        macro_block_size=2,
        ffmpeg_log_level="error",
        output_params=["-f", "mp4"],  # the temp file's name is not what tells ffmpeg the format
    )
    writer.send(None)  # start ffmpeg
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()


def animate(
    config: StrikeConfig, out: Path, fps: float = DEFAULT_FPS, mp4: bool = False
) -> list[Path]:
    """Write the GIF (and, with ``mp4``, an MP4 beside it); return the files written.

    The days are drawn once and both files made from the same frames, held as RGB in memory
    (~1.4 MB a day: ~35 MB for Ice Out's 23 days; a 365-day campaign, the most allowed, ~0.5 GB).
    """
    movie = Movie(config)
    try:
        frames = list(movie.frames())
    finally:
        movie.release()
    written = [out]
    atomic_write(out, lambda tmp: write_gif(frames, tmp, fps))
    if mp4:
        written.append(out.with_suffix(".mp4"))
        atomic_write(written[-1], lambda tmp: write_mp4(frames, tmp, fps))
    return written
