"""Sweep tasks: jobs that share a city run together and come out as if each had run alone."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from strikesim import results, run
from strikesim.cli import main
from strikesim.compose import check_jobs, compose_config, config_groups
from strikesim.config import ConfigError
from strikesim.studies.sweep import TASK_MOST, JobConfigs, checked_jobs, expand_jobs, plan_tasks
from tests.conftest import run_cli
from tests.test_sweep import assert_complete, job_folders, sweep_folder

# what differs between two runs of the same config: when and where they ran
RUN_DEPENDENT = {"wall_time_s", "peak_rss_mib", "files"}


def test_config_yaml_is_omegaconfs_text_for_every_preset() -> None:
    checked = 0
    for group, presets in config_groups().items():
        for preset in presets:
            try:
                config = compose_config([f"{group}={preset}"])
            except ConfigError:  # a preset that needs more (network=file: a path)
                continue
            expected = OmegaConf.to_yaml(OmegaConf.structured(config))
            assert run.config_yaml(config) == expected, f"{group}={preset}"
            checked += 1
    assert checked >= 10
    overrides = ["seed=1", "weather.temperature_f=-20", "network.path='my town.graphml'", "1"]
    assert run.yaml_text(overrides) == OmegaConf.to_yaml(OmegaConf.create(overrides))


def test_strings_that_read_as_other_types_are_quoted_as_omegaconf_quotes_them() -> None:
    # config.yaml is read back by OmegaConf (strikesim rerun): a string stays a string
    words = ["yes", "Off", "y", "N", "1", "-2", "1_000", "1e5", ".5", "nan", "inf", "2026-02-13"]
    data = {"words": [*words, "seed", "null?", "a: b"], "nested": {"on": "TRUE", "x": "0.1"}}
    text = run.yaml_text(data)
    assert text == OmegaConf.to_yaml(OmegaConf.create(data))
    assert OmegaConf.to_container(OmegaConf.create(text)) == data


def test_job_tables_are_the_bytes_pandas_writes() -> None:
    # parquet_bytes skips to_parquet and, for columns of plain dtypes, pyarrow's type inference
    # (a schema kept per columns and dtypes): the files must stay byte for byte the same
    runs = [run.simulate(compose_config(["population=classroom", f"seed={s}"])) for s in (1, 2)]
    other = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "o": ["a", None], "f": [0.5, 1]})
    labelled = runs[0].events.assign(marchers=0)
    labelled.attrs["note"] = "pyarrow records attrs"
    frames = [r.events for r in runs] + [r.timeseries for r in runs] + [other, other, labelled]
    for frame in frames:
        written = io.BytesIO()
        frame.to_parquet(written, index=False)
        assert results.parquet_bytes(frame).to_pybytes() == written.getvalue()


def test_tasks_keep_a_citys_jobs_together_and_cover_every_job_once() -> None:
    jobs = expand_jobs(["weather.temperature_f=-20,0,30", "seed=0,1,2,3"])
    tasks = plan_tasks(jobs, list(range(12)), workers=1)
    assert tasks == [[0, 4, 8, 1, 5, 9], [2, 6, 10, 3, 7, 11]]  # two tasks of two seeds each
    assert len(plan_tasks(jobs, list(range(12)), workers=2)) == 4
    # a resume, only the jobs left: tasks of two; seed 1's three jobs fill one and start the next
    assert plan_tasks(jobs, [1, 2, 5, 9], workers=1) == [[1, 5], [9, 2]]
    one_city = expand_jobs(["weather.temperature_f=range(-40,60)", "seed=0"])
    big = plan_tasks(one_city * 6, list(range(600)), workers=1)
    assert max(len(task) for task in big) == TASK_MOST
    assert len(big) == math.ceil(600 / TASK_MOST)
    assert sorted(n for task in big for n in task) == list(range(600))


def test_a_jobs_config_is_the_composed_one_whatever_was_composed_before() -> None:
    def job(*overrides: str) -> list[str]:
        return ["population=classroom", *overrides]

    configs = JobConfigs()
    configs.prepare([job("coalition=broad", "seed=1"), job("weather.temperature_f=5", "seed=2")])
    for overrides in (
        job("coalition=broad", "seed=1"),
        job("coalition=broad", "seed=7"),  # another seed: the prepared config, reseeded
        job("weather.temperature_f=5", "seed=0"),
        job("coalition=narrow", "seed=3"),  # not prepared: composed when asked
    ):
        assert configs.get(overrides) == compose_config(overrides), overrides
    with pytest.raises(ConfigError, match="seed"):
        configs.get(job("coalition=broad", "seed=-3"))
    # a bad job among those prepared fails alone, when asked for, with its own error
    mixed = JobConfigs()
    mixed.prepare([job("seed=1"), job("weather.temperature_f=-500", "seed=1")])
    assert mixed.get(job("seed=4")) == compose_config(job("seed=4"))
    with pytest.raises(ConfigError, match=r"weather\.temperature_f=-500"):
        mixed.get(job("weather.temperature_f=-500", "seed=1"))


def test_a_sweeps_jobs_share_their_city_and_equal_their_runs_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ensembles: list[int] = []
    simulate_many = run.simulate_many

    def recording(configs: list) -> list:
        ensembles.append(len(configs))
        return simulate_many(configs)

    monkeypatch.setattr(run, "simulate_many", recording)
    args = [
        "-m",
        "population=classroom",
        "weather.temperature_f=-20,30",
        "coalition=narrow,broad",
        "seed=0,1",
    ]
    assert main(args) == 0
    assert sorted(ensembles) == [4, 4]  # one city per seed, each built once for its 4 jobs
    folder = sweep_folder(tmp_path)
    jobs = job_folders(folder)
    assert len(jobs) == 8
    for job in jobs:
        assert_complete(job)
        overrides = OmegaConf.to_container(OmegaConf.load(job / ".hydra" / "overrides.yaml"))
        alone = run.simulate(compose_config(overrides))
        summary = json.loads((job / "summary.json").read_text())
        expected = json.loads(json.dumps(alone.summary))  # as the file holds it
        assert {k: v for k, v in summary.items() if k not in RUN_DEPENDENT} == {
            k: v for k, v in expected.items() if k not in RUN_DEPENDENT
        }
        pd.testing.assert_frame_equal(
            pd.read_parquet(job / "timeseries.parquet"), alone.timeseries, check_exact=True
        )
        assert (job / "config.yaml").read_text() == run.config_yaml(alone.config)


def test_plots_are_drawn_for_each_job_only_when_asked(tmp_path: Path) -> None:
    args = ["-m", "population=classroom", "seed=0,1"]
    proc = run_cli([*args, "--plots"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    for job in job_folders(sweep_folder(tmp_path)):
        assert_complete(job, plots=True)
        assert (job / "turnout.png").read_bytes()[:4] == b"\x89PNG"
    single = run_cli(["population=classroom", "--plots"], tmp_path)
    assert single.returncode == 2
    assert single.stderr == (
        "strikesim: config error: --plots is an option of a sweep; allowed: with -m\n"
    )


@pytest.mark.parametrize(
    "sweep",
    [
        ["seed=range(0,50)", "population=small"],
        ["seed=-1,3"],
        ["seed=3,01"],
        ["seed=1.5,2"],
        ["seed=0,1", "weather.temperature_f=0,999"],
        ["seed=0,1,2", "population=small,city", "coalition=narrow"],
    ],
)
def test_the_jobs_checked_refuse_what_checking_every_job_refuses(sweep: list[str]) -> None:
    """A sweep is checked by a few of its jobs (10,000 seeds: two), with the same verdict."""
    jobs = expand_jobs(sweep)
    picked = checked_jobs(jobs)
    assert all(job in jobs for job in picked) and len(picked) <= 4

    def verdict(these: list[list[str]]) -> str:
        try:
            check_jobs(these)
        except ConfigError as exc:
            return str(exc)
        return "accepted"

    assert verdict(picked) == verdict(jobs)
