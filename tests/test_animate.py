"""`strikesim animate`: one GIF frame per day, and bad input refused before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from strikesim.cli import main
from strikesim.viz.animation import animate, animation_config


def test_gif_has_one_frame_per_day(tmp_path: Path) -> None:
    config = animation_config(["scenario.campaign_days=3", "population.scale=4"])
    out = tmp_path / "slides" / "cascade.gif"
    written = animate(config, out, fps=4)
    with Image.open(out) as gif:
        assert gif.n_frames == 3 + 2  # day 0, three campaign days, the strike day
        assert gif.size[0] > gif.size[1] > 200  # network and curve side by side
    assert written == [out, out.with_suffix(".mp4")] if shutil.which("ffmpeg") else [out]
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(p.name for p in written)


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
    assert main(["animate", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("strikesim: config error:") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_out_must_be_a_gif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["animate", "--out", str(tmp_path / "a.png")]) == 2
    assert "allowed: a .gif file" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
