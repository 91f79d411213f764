"""`strikesim animate`: one frame per day (GIF and MP4), the legend's colours in every GIF frame,
and bad input refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from strikesim.cli import main
from strikesim.viz.animation import Movie, animate, animation_config, on_palette
from strikesim.viz.demo.palette import FORM_COLOURS, STATE_COLOURS, STATES

# 250 people over 3 days (no history: the run starts 10 Feb), 4 frames: day 0 to the strike day
OVERRIDES = ["scenario.history=false", "scenario.start_date=2026-02-10", "population.scale=4"]
DAYS = 3 + 1
FPS = 4

RGB = tuple[int, int, int]


def declared(colour: str) -> RGB:
    r, g, b = (round(255 * c) for c in to_rgb(colour))
    return r, g, b


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The short animation, GIF and MP4, written once through the command line."""
    out = tmp_path_factory.mktemp("animate") / "slides" / "cascade.gif"
    assert main(["animate", *OVERRIDES, "--fps", str(FPS), "--mp4", "--out", str(out)]) == 0
    return [out, out.with_suffix(".mp4")]


def test_gif_and_mp4_have_one_frame_per_day(written: list[Path]) -> None:
    gif, mp4 = written
    assert sorted(p.name for p in gif.parent.iterdir()) == ["cascade.gif", "cascade.mp4"]
    with Image.open(gif) as image:
        assert image.n_frames == DAYS
        assert image.size[0] > image.size[1] > 200  # network and curve side by side
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(mp4))
    assert frames == DAYS
    assert seconds == pytest.approx(DAYS / FPS)


def swatches(movie: Movie) -> list[tuple[str, RGB, tuple[int, int]]]:
    """Label, declared colour and pixel (column, row from the top) of each coloured legend entry.

    The centre of the drawn handle: the dot of a state (network legend), the dot on a form's line
    (chart legend). Read from the figure just drawn, since constrained layout may move the legend
    between days (tick labels change width).
    """
    renderer = movie.canvas.get_renderer()
    height = movie.figure.bbox.height
    found = []
    state_colours = dict(zip(STATES, STATE_COLOURS, strict=True))
    for ax, colours in ((movie.network_ax, state_colours), (movie.chart_ax, FORM_COLOURS)):
        legend = ax.get_legend()
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            if (label := text.get_text()) in colours:
                box = handle.get_window_extent(renderer)
                column, row = (box.x0 + box.x1) / 2, height - (box.y0 + box.y1) / 2
                found.append((label, declared(colours[label]), (int(column), int(row))))
    assert len(found) == len(STATES) + len(FORM_COLOURS)
    return found


def test_gif_colours_are_the_legends_in_every_frame(written: list[Path]) -> None:
    """Issue "Classroom" 8: with a palette per frame, frame 0 had "sympathetic" grey, "committed"
    pink and every chart line purple. Now each swatch is its declared colour, bit for bit, from
    the first frame to the last (the same town drawn again gives the positions)."""
    movie = Movie(animation_config(OVERRIDES))
    expected = []
    for frame in movie.frames():
        here = swatches(movie)
        for label, colour, (column, row) in here:  # the position is right: the drawing has it
            assert tuple(frame[row, column]) == colour, label
        expected.append(here)
    movie.release()
    with Image.open(written[0]) as gif:
        assert gif.n_frames == len(expected)
        for index, here in enumerate(expected):
            gif.seek(index)
            pixels = np.asarray(gif.convert("RGB"))
            seen = {label: tuple(map(int, pixels[row, column])) for label, _, (column, row) in here}
            assert seen == {label: colour for label, colour, _ in here}, f"frame {index}"


def test_on_palette_keeps_an_exact_colour_beside_a_close_one() -> None:
    """Pillow's quantize(palette=...) sent white to a (252, 252, 252) entry (6-bit lookup)."""
    palette = np.array([[252, 252, 252], [255, 255, 255], [214, 39, 40], [0, 0, 0]], np.uint8)
    frame = np.array([[[255, 255, 255], [252, 252, 252], [214, 39, 40], [213, 40, 40]]], np.uint8)
    image = on_palette(frame, palette)
    assert np.asarray(image).tolist() == [[1, 0, 2, 2]]  # palette indices
    assert (np.asarray(image.convert("RGB")) == palette[[1, 0, 2, 2]]).all()


def test_without_mp4_only_the_gif(tmp_path: Path) -> None:
    out = tmp_path / "cascade.gif"
    config = animation_config(
        ["scenario.history=false", "scenario.start_date=2026-02-12", "population.scale=4"]
    )
    assert animate(config, out) == [out]
    assert [p.name for p in tmp_path.iterdir()] == ["cascade.gif"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["population=small"], "20,000 agents; allowed: at most 1,000"),
        (["weather.temperature_f=500"], "weather.temperature_f=500.0 is out of range"),
        (["--fps", "0"], "--fps=0; allowed: a number from 0.1 to 60"),
        (["--fps", "1e-300"], "--fps=1e-300; allowed: a number from 0.1 to 60"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "a.gif"
    assert main(["animate", *args, "--mp4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("strikesim: config error:") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_out_must_be_a_gif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["animate", "--out", str(tmp_path / "a.png")]) == 2
    assert "allowed: a .gif file" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_town_and_settings_are_the_pages_unless_given() -> None:
    from strikesim.viz.demo.scene import preset_config

    config = animation_config([])
    page = preset_config("ice_out")
    assert (config.population, config.behavior) == (page.population, page.behavior)
    assert not config.behavior.posterior  # behavior=default: the model's central settings
    smaller = animation_config(["population.size=500"])  # a key given replaces its value
    assert (smaller.population.size, smaller.population.catchment) == (500, "metro")
    assert animation_config(["population=classroom"]).population.catchment != "metro"
    assert animation_config(["behavior=posterior"]).behavior.posterior  # a preset given wins
