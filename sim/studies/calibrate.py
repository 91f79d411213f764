"""Calibration by ABC-SMC (pyabc): the posterior of the uncertain parameters given the record.

The method, and why (docs/calibration.md has the long form):

- **ABC-SMC with a stochastic acceptance kernel** (pyabc's ``StochasticAcceptor`` with a
  ``Temperature`` schedule; Wilkinson 2013). Each published figure is read as the simulated
  number times a log-normal measurement error whose spread is the published range
  (:class:`RecordKernel`): the kernel *is* the likelihood of the record given one simulation,
  and a particle is accepted with probability ``(likelihood / max)^(1/T)``. Generations lower the
  temperature ``T`` adaptively; at ``T = 1`` the accepted particles are an importance sample of
  the exact posterior under that error model — no tolerance to choose, so a coverage test
  (:mod:`strikesim.studies.coverage`) can demand nominal coverage.
- **Simulator noise** enters as it should in exact ABC: every particle is simulated on random
  seeds (``replications`` of them; with more than one, the kernel averages the likelihood over
  them, an unbiased estimate, so the posterior stays exact while its weights get less noisy).
- **Batches on one city** (:class:`CityBatchSampler`): the particles of a batch are simulated on
  the same seed, so :func:`strikesim.run.simulate_many` builds that city once and runs them all
  on the ensemble kernel (~15x cheaper per run than alone at the 1:1 city). pyabc's samplers
  evaluate one particle at a time; this one draws a batch of proposals with pyabc's own
  ``generate_valid_proposal``, simulates them together, then scores each in proposal order with
  pyabc's own ``evaluate_proposal``, stopping at the n-th acceptance. Keeping the first n
  accepted in proposal order is what one-at-a-time sampling does, so batching biases nothing;
  proposals simulated beyond the n-th acceptance are dropped unscored (their cost is the price
  of batching: at most one batch per generation). Different batches get different seeds
  (derived from the spec's ``seed``, the generation and the batch), so a generation mixes many
  cities; ``workers`` processes simulate batches side by side without changing any result.
- **Priors from the schema**: uniform on each key's declared ``prior`` in :mod:`strikesim.config`
  (:func:`~strikesim.studies.calibration_spec.schema_priors`).
- **A resumable record**: pyabc's History database (``history.db``, SQLite) holds every finished
  generation; running the same command again loads it (``abc.load``) and carries on with the
  next generation. A generation is written in one transaction when it is complete, so a kill
  loses at most the generation under way, never a part of one.

Outputs in the study folder (:func:`run_calibration`): ``study.json`` (the spec, versions,
commands), ``history.db``, and when a study finishes ``posterior.parquet`` / ``posterior.csv``
(the draws: :mod:`strikesim.studies.posterior`), ``predictive.parquet`` (the simulated targets
of the posterior's particles) and the report (:mod:`strikesim.studies.calibration_report`).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.acceptor import StochasticAcceptor, pdf_norm_from_kernel
from pyabc.distance import SCALE_LOG, StochasticKernel
from pyabc.epsilon import ListTemperature, Temperature, TemperatureBase
from pyabc.inference_util import inference_util as pyabc_inference
from pyabc.population import Particle, Sample
from pyabc.random_variables import DistributionBase
from pyabc.sampler import Sampler
from scipy.special import logsumexp
from scipy.stats import norm

from strikesim import provenance, results
from strikesim.compose import compose_configs
from strikesim.config import ConfigError, StrikeConfig
from strikesim.studies import calibration_report
from strikesim.studies.calibration_spec import (
    CalibrationSpec,
    Prior,
    Role,
    Target,
    load_targets,
    schema_priors,
    target_key,
    target_log_sd,
    with_values,
)
from strikesim.studies.observables import observe

ROOT = Path("results") / "calibration"
HISTORY = "history.db"
Progress = Callable[[str], None]
SumStats = dict[str, np.ndarray]


def default_folder(spec: CalibrationSpec) -> Path:
    """``results/calibration/<spec name>``: the same spec resumes the same study."""
    return ROOT / spec.name


def log_people(people: float | np.ndarray) -> np.ndarray:
    """The scale of the record's error model: ``log(1 + people)`` (finite at zero marchers)."""
    return np.log1p(np.asarray(people, dtype=float))


# --- the likelihood of the record -----------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One fitted target in the kernel: its statistic, its kind of range, its log-scale sd."""

    key: str
    low: float | None  # log(1 + low end), None when open
    high: float | None
    centre: float  # log(1 + observed)
    sd: float

    def log_likelihood(self, simulated: np.ndarray) -> np.ndarray:
        """log p(record | simulated log people), per replication.

        Two-sided: the figure is the simulated number times a log-normal error,
        ``log obs ~ N(log sim, sd)``. One-sided ("10,000 or more"): the record says only that the
        figure lies above (below) the bound, ``P(log sim + error >= log low)``.
        """
        if self.low is not None and self.high is not None:
            return norm.logpdf(self.centre, loc=simulated, scale=self.sd)
        if self.low is not None:
            return norm.logcdf((simulated - self.low) / self.sd)
        assert self.high is not None
        return norm.logcdf((self.high - simulated) / self.sd)

    @property
    def log_max(self) -> float:
        """The largest value :meth:`log_likelihood` can take (pyabc's ``pdf_max``)."""
        if self.low is not None and self.high is not None:
            return float(norm.logpdf(0.0, scale=self.sd))
        return 0.0


def kernel_terms(
    spec: CalibrationSpec, targets: Sequence[Target], centres: dict[str, float] | None = None
) -> list[Term]:
    """The fitted targets as kernel terms (held-out targets are predicted, never fitted).

    ``centres`` replaces the observed values (``log(1 + people)`` by target key): the coverage
    test fits synthetic records with the spec's error model.
    """
    terms = []
    for t in targets:
        if t.role is not Role.fitted:
            continue
        low, high = t.range
        key = target_key(t)
        terms.append(
            Term(
                key=key,
                low=None if low is None else float(log_people(low)),
                high=None if high is None else float(log_people(high)),
                centre=float(log_people(t.observed)) if centres is None else centres[key],
                sd=target_log_sd(spec, t),
            )
        )
    return terms


class RecordKernel(StochasticKernel):
    """pyabc stochastic kernel: the log-likelihood of the fitted record given one particle.

    Summary statistics hold, per target, ``log(1 + people)`` of each replication; the kernel sums
    the terms' log-likelihoods per replication and averages the likelihood over replications
    (log-mean-exp). Its maximum (``pdf_max``) is known in closed form, so the acceptor normalizes
    by it (``pdf_norm_from_kernel``) rather than by the largest value seen so far.
    """

    def __init__(self, terms: Sequence[Term]):
        self.terms = list(terms)
        super().__init__(
            ret_scale=SCALE_LOG,
            keys=[t.key for t in self.terms],
            pdf_max=sum(t.log_max for t in self.terms),
        )

    def __call__(
        self,
        x: dict,
        x_0: dict,
        t: int | None = None,
        par: dict | None = None,
    ) -> float:
        """log p(record | x), averaged over the replications in ``x``."""
        per_replication = sum(term.log_likelihood(np.asarray(x[term.key])) for term in self.terms)
        values = np.atleast_1d(per_replication)
        return float(logsumexp(values) - math.log(len(values)))

    def get_config(self) -> dict[str, Any]:
        """What pyabc stores in the database about this kernel."""
        return {"name": type(self).__name__, "terms": [asdict(t) for t in self.terms]}


# --- simulating particles -------------------------------------------------------------------------
def _simulate_chunk(configs: list[StrikeConfig]) -> list[dict[tuple[str, str], float]]:
    """Observables of each config, in order (a worker's task).

    Configs that share a city (:func:`strikesim.run.city_key`: seed, population, network) run
    together on the ensemble kernel, as :func:`strikesim.run.simulate_many` runs them, but
    without the summary it builds per run (provenance, the published figures, records): that
    costs as much as a run of the 1,000-person town, and calibration reads only the events.
    """
    from strikesim.engine.ensemble import run_ensemble
    from strikesim.run import city_key

    groups: dict[str, list[int]] = {}
    for n, config in enumerate(configs):
        groups.setdefault(city_key(config), []).append(n)
    found: dict[int, dict[tuple[str, str], float]] = {}
    for members in groups.values():
        runs = run_ensemble([configs[n] for n in members])
        for n, member in zip(members, runs, strict=True):
            found[n] = observe(member)
    return [found[n] for n in range(len(configs))]


class CitySimulator:
    """Simulates batches of parameter sets: one city per seed, every run of the spec on it.

    Composes each run's config once (Hydra costs milliseconds a config) and sets each particle's
    values and seed with :func:`~strikesim.studies.calibration_spec.with_values` (microseconds).
    """

    def __init__(
        self,
        spec: CalibrationSpec,
        priors: dict[str, Prior],
        targets: Sequence[Target],
        executor: Executor | None = None,
    ):
        self.priors = priors
        # one statistic per event and observable (a held-out or check row may repeat a key)
        wanted = {target_key(t): (t.event, str(t.observable)) for t in targets}
        self.keys, self.wanted = list(wanted), list(wanted.values())
        self.bases = compose_configs([[*spec.base, *run] for run in spec.runs])
        self.executor = executor
        self.runs = 0  # simulations run (a particle x replication x run each), for the record

    def configs(self, theta: dict[str, float], seed: int) -> list[StrikeConfig]:
        """Every run's config at the draw ``theta`` (continuous values) and ``seed``."""
        values: dict[str, float | int] = {k: p.value(theta[k]) for k, p in self.priors.items()}
        values["seed"] = seed
        return [with_values(base, values) for base in self.bases]

    def valid(self, theta: dict[str, float]) -> bool:
        """Does the model accept every run's config at ``theta`` (:class:`ValidPrior`)?"""
        try:
            self.configs(theta, 0)
        except ConfigError:
            return False
        return True

    def simulate(
        self, batches: Sequence[tuple[list[dict[str, float]], list[int]]]
    ) -> list[SumStats]:
        """Summary statistics of every draw of ``batches`` (each: draws, replication seeds).

        Each batch is one task (its cities built once); tasks run in the executor if there is one.
        """
        tasks = [
            [c for seed in seeds for theta in thetas for c in self.configs(theta, seed)]
            for thetas, seeds in batches
        ]
        self.runs += sum(map(len, tasks))
        if self.executor is None:
            done: Iterator[list[dict[tuple[str, str], float]]] = map(_simulate_chunk, tasks)
        else:
            done = self.executor.map(_simulate_chunk, tasks)
        stats: list[SumStats] = []
        for (thetas, seeds), observed in zip(batches, done, strict=True):
            per_run = len(self.bases)
            for i in range(len(thetas)):
                merged: list[dict[tuple[str, str], float]] = []
                for r in range(len(seeds)):
                    start = (r * len(thetas) + i) * per_run
                    found: dict[tuple[str, str], float] = {}
                    for run in observed[start : start + per_run]:
                        found.update(run)
                    merged.append(found)
                stats.append(
                    {
                        key: log_people([m[want] for m in merged])
                        for key, want in zip(self.keys, self.wanted, strict=True)
                    }
                )
        return stats


class CityModel(pyabc.Model):
    """The pyabc model: hands out the summary statistics the sampler simulated for a batch.

    pyabc asks a model for one particle at a time (``sample(pars)``); the batch was simulated
    before, so this returns the next result in proposal order and checks that it belongs to
    the parameters asked for.
    """

    def __init__(self) -> None:
        super().__init__(name="strikesim")
        self.ready: deque[tuple[dict[str, float], SumStats]] = deque()

    def sample(self, pars: pyabc.Parameter) -> SumStats:
        """The prepared statistics of ``pars`` (the next proposal of the batch)."""
        theta, stats = self.ready.popleft()
        assert dict(pars) == theta, "a batch's results were asked for out of order"
        return stats


Propose = Callable[[], tuple[int, pyabc.Parameter]]
Evaluate = Callable[[tuple[int, pyabc.Parameter]], Particle]


def split_simulate_one(simulate_one: Callable[[], Particle]) -> tuple[Propose, Evaluate]:
    """pyabc's ``simulate_one`` as its two halves: draw a proposal; simulate and score it.

    pyabc builds ``simulate_one`` as a ``functools.partial`` of ``_simulate_one`` (a generation)
    or ``_simulate_one_from_prior`` (the calibration sample before generation 0). The halves call
    pyabc's own functions with the same arguments, so a particle is what pyabc would make of the
    same draw. Checked, so that another pyabc fails here, in one line, rather than silently.
    """
    funcs = (pyabc_inference._simulate_one, pyabc_inference._simulate_one_from_prior)
    if not (isinstance(simulate_one, functools.partial) and simulate_one.func in funcs):
        raise TypeError(
            f"pyabc {pyabc.__version__}: simulate_one is not the partial strikesim knows "
            "(pyabc 0.13); CityBatchSampler needs updating"
        )
    kw = simulate_one.keywords
    if simulate_one.func is pyabc_inference._simulate_one:
        if not kw["evaluate"]:
            raise TypeError("CityBatchSampler evaluates every particle (no look-ahead)")

        def propose() -> tuple[int, pyabc.Parameter]:
            return pyabc_inference.generate_valid_proposal(
                t=kw["t"],
                m=kw["m"],
                p=kw["p"],
                model_prior=kw["model_prior"],
                parameter_priors=kw["parameter_priors"],
                model_perturbation_kernel=kw["model_perturbation_kernel"],
                transitions=kw["transitions"],
            )

        def evaluate(proposal: tuple[int, pyabc.Parameter]) -> Particle:
            return pyabc_inference.evaluate_proposal(
                *proposal,
                t=kw["t"],
                models=kw["models"],
                summary_statistics=kw["summary_statistics"],
                distance_function=kw["distance_function"],
                eps=kw["eps"],
                acceptor=kw["acceptor"],
                x_0=kw["x_0"],
                weight_function=kw["weight_function"],
                proposal_id=kw["proposal_id"],
            )

        return propose, evaluate

    def propose_from_prior() -> tuple[int, pyabc.Parameter]:
        m = int(kw["model_prior"].rvs())
        return m, kw["parameter_priors"][m].rvs()

    def evaluate_from_prior(proposal: tuple[int, pyabc.Parameter]) -> Particle:
        m, theta = proposal  # as pyabc's _simulate_one_from_prior: all accepted, weight 1
        result = kw["models"][m].summary_statistics(0, theta, kw["summary_statistics"])
        return Particle(
            m=m,
            parameter=theta,
            weight=1.0,
            sum_stat=result.sum_stat,
            distance=np.inf,
            accepted=True,
            proposal_id=0,
            preliminary=False,
        )

    return propose_from_prior, evaluate_from_prior


def derived_seed(*entropy: int) -> int:
    """A run seed (< 2**63) from integers, by numpy's SeedSequence (independent streams)."""
    high, low = np.random.SeedSequence([e % 2**32 for e in entropy]).generate_state(2)
    return (int(high) << 32 | int(low)) >> 1


PROPOSE, ACCEPT = 1, 2  # stream tags: a batch's proposals, and its acceptance draws


def reseed(*entropy: int) -> None:
    """Seed numpy's global generator, which pyabc's priors, transitions and acceptor draw from."""
    np.random.seed(derived_seed(*entropy) % 2**32)


class BatchCache:
    """Simulated batches kept on disk, so a killed generation resumes without simulating again.

    pyabc stores a generation only when it is complete; at the metro one generation is an hour
    of simulations. Each batch's summary statistics are written here (one ``.npz`` per batch,
    atomically) as soon as they are simulated, named by ``(generation, phase, batch)`` and
    holding the batch's parameter draws: a resumed generation draws the same proposals from the
    same seeds (:class:`CityBatchSampler`), finds them here and re-scores them without running
    the model. A file whose draws differ from the proposals (another spec, another history) is
    ignored, never trusted.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.hits = 0  # batches read back, for the progress line

    def path(self, name: tuple[int, int, int]) -> Path:
        """The file of batch ``(generation + 1, phase, batch)``."""
        generation, phase, batch = name
        return self.folder / f"g{generation}-p{phase}-b{batch}.npz"

    def load(
        self, name: tuple[int, int, int], thetas: list[dict[str, float]]
    ) -> list[SumStats] | None:
        """The stored statistics of a batch whose draws are ``thetas``, or None."""
        path = self.path(name)
        if not path.is_file():
            return None
        keys = sorted(thetas[0])
        params = np.array([[theta[k] for k in keys] for theta in thetas])
        with np.load(path) as data:
            if list(data["keys"]) != keys or not np.array_equal(data["params"], params):
                return None
            stats = {k.removeprefix("stat:"): data[k] for k in data.files if k.startswith("stat:")}
        self.hits += 1
        return [{k: v[i] for k, v in stats.items()} for i in range(len(thetas))]

    def save(
        self, name: tuple[int, int, int], thetas: list[dict[str, float]], stats: list[SumStats]
    ) -> None:
        """Store a simulated batch (atomically: a reader sees all of it or nothing)."""
        keys = sorted(thetas[0])
        arrays = {f"stat:{k}": np.stack([s[k] for s in stats]) for k in stats[0]}
        params = np.array([[theta[k] for k in keys] for theta in thetas])
        self.folder.mkdir(parents=True, exist_ok=True)

        def write(tmp: Path) -> None:
            with tmp.open("wb") as handle:
                np.savez(handle, keys=np.array(keys), params=params, **arrays)

        results.atomic_write(self.path(name), write)


class CityBatchSampler(Sampler):
    """A pyabc sampler that simulates particles in batches sharing a city (see module doc).

    Reproducible: batch ``b`` of generation ``t`` draws its proposals, and then its acceptance
    decisions, from numpy's global generator (pyabc's) reseeded from ``(seed, t, b)``, and
    simulates on seeds derived from ``(seed, t, b, replication)``. So the number of workers
    changes only how many batches run at once, never a result, and a resumed study draws each
    generation as an uninterrupted one would from the same stored state.
    """

    def __init__(
        self,
        model: CityModel,
        simulator: CitySimulator,
        *,
        batch_size: int,
        replications: int,
        seed: int,
        workers: int = 1,
        progress: Progress | None = None,
        cache: BatchCache | None = None,
    ):
        super().__init__()
        self.model = model
        self.simulator = simulator
        self.batch_size = batch_size
        self.replications = replications
        self.seed = seed
        self.workers = workers
        self.progress = progress
        self.cache = cache

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Particle],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Sample:
        """Batches of proposals, simulated together, scored in order until ``n`` are accepted."""
        phase = int(all_accepted)  # the calibration sample before generation 0, or a generation
        propose, evaluate = split_simulate_one(simulate_one)
        sample = self._create_empty_sample()
        evaluated, batch = 0, 0
        while sample.n_accepted < n and evaluated < max_eval:
            rounds = range(batch, batch + self.workers)
            batch += self.workers
            batches = []
            for b in rounds:
                reseed(self.seed, t + 1, phase, b, PROPOSE)
                draws = [propose() for _ in range(self.batch_size)]
                seeds = [
                    derived_seed(self.seed, t + 1, phase, b, r) for r in range(self.replications)
                ]
                batches.append((draws, seeds))
            stats = iter(self.simulate_round([(t + 1, phase, b) for b in rounds], batches))
            for b, (draws, _) in zip(rounds, batches, strict=True):
                self.model.ready.clear()
                self.model.ready.extend((dict(theta), next(stats)) for _, theta in draws)
                reseed(self.seed, t + 1, phase, b, ACCEPT)
                for proposal in draws:
                    if sample.n_accepted >= n or evaluated >= max_eval:
                        break  # later proposals are dropped unscored: the order decides, not luck
                    sample.append(evaluate(proposal))
                    evaluated += 1
            if self.progress is not None:
                cached = f"; {self.cache.hits} batches read back" if self.cache else ""
                self.progress(
                    f"  generation {t}: {sample.n_accepted}/{n} accepted of {evaluated} "
                    f"({self.simulator.runs:,} simulations so far{cached})"
                )
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample

    def simulate_round(
        self,
        names: list[tuple[int, int, int]],
        batches: list[tuple[list[tuple[int, pyabc.Parameter]], list[int]]],
    ) -> list[SumStats]:
        """Statistics of every proposal of a round of batches, in order: read back from the
        cache where a batch is stored, else simulated (side by side) and stored."""
        thetas = [[dict(theta) for _, theta in draws] for draws, _ in batches]
        found: list[list[SumStats] | None] = [
            self.cache.load(name, batch) if self.cache else None
            for name, batch in zip(names, thetas, strict=True)
        ]
        todo = [i for i, f in enumerate(found) if f is None]
        fresh = iter(self.simulator.simulate([(thetas[i], batches[i][1]) for i in todo]))
        for i in todo:
            simulated = [next(fresh) for _ in thetas[i]]
            if self.cache is not None:
                self.cache.save(names[i], thetas[i], simulated)
            found[i] = simulated
        return [s for batch in found if batch is not None for s in batch]


# --- the study ------------------------------------------------------------------------------------
@dataclass
class Setup:
    """Everything a study needs besides its folder: spec, priors, targets, the pyabc parts."""

    spec: CalibrationSpec
    priors: dict[str, Prior]
    targets: list[Target]
    abc: pyabc.ABCSMC
    observed: dict[str, float]
    simulator: CitySimulator


class ValidPrior(DistributionBase):
    """Uniform on each key's support, restricted to the draws the model accepts.

    The box of priors holds a few draws the model refuses (~0.3% for ``behavior.*``: a group's
    mean threshold, ``threshold_mean`` plus its shifts, below 0.01, or ``threshold_sd`` too
    wide for a Beta of that mean; :func:`strikesim.config.validate`). The prior is the box
    truncated to valid draws: ``pdf`` is the box's density there and 0 elsewhere (pyabc's
    proposals then never leave it; the missing normalizing constant cancels in the weights),
    and ``rvs`` redraws until valid, from pyabc's own (numpy's global) generator.
    """

    MAX_TRIES = 10_000

    def __init__(self, priors: dict[str, Prior], valid: Callable[[dict[str, float]], bool]):
        self.box = pyabc.Distribution(
            **{
                k: pyabc.RV("uniform", p.support[0], p.support[1] - p.support[0])
                for k, p in priors.items()
            }
        )
        self.valid = valid

    def rvs(self, *args: Any, **kwargs: Any) -> pyabc.Parameter:
        """A draw of the box that the model accepts (rejection sampling)."""
        for _ in range(self.MAX_TRIES):
            theta = self.box.rvs(*args, **kwargs)
            if self.valid(dict(theta)):
                return theta
        raise ConfigError(
            f"no valid draw in {self.MAX_TRIES:,} tries of the prior box; allowed: priors "
            "whose box the model mostly accepts"
        )

    def pdf(self, x: pyabc.Parameter | dict) -> float:
        """The box's density at a valid ``x``, else 0."""
        density = float(self.box.pdf(x))
        return density if density > 0 and self.valid(dict(x)) else 0.0


def temperatures(generations: int) -> TemperatureBase:
    """The temperature schedule: pyabc's adaptive one, or ``T = 1`` at once for one generation.

    With several generations, ``Temperature()`` lowers ``T`` from an initial value set on a
    calibration sample from the prior (acceptance rate 30%) to 1 at the last generation at the
    latest. With one, the only generation is at ``T = 1`` straight from the prior: rejection
    ABC with the exact acceptor — every weight equal, no calibration sample to pay for. Why the
    recorded study does that: with its 33 parameters pyabc's Gaussian-kernel proposals gave
    importance weights spanning seven orders of magnitude (an effective sample of 2 of 200
    after one generation; docs/calibration.md), while the record is weak enough that ~7% of
    prior draws are accepted at ``T = 1``.
    """
    return ListTemperature([1.0]) if generations == 1 else Temperature()


def setup(
    spec: CalibrationSpec,
    *,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
    simulator: CitySimulator | None = None,
    centres: dict[str, float] | None = None,
    cache: Path | None = None,
) -> Setup:
    """The pyabc ABCSMC of a spec: priors, kernel, acceptor, temperature, batch sampler.

    ``simulator`` reuses composed configs (the coverage test runs many studies of one spec);
    ``centres`` replaces the record (see :func:`kernel_terms`).
    """
    where = spec.source or spec.name
    priors = schema_priors(list(spec.parameters), f"{where}: parameters")
    targets = load_targets(spec, where)
    terms = kernel_terms(spec, targets, centres)
    if simulator is None:
        simulator = CitySimulator(spec, priors, targets, executor)
    model = CityModel()
    sampler = CityBatchSampler(
        model,
        simulator,
        batch_size=spec.batch_size,
        replications=spec.replications,
        seed=spec.seed,
        workers=workers,
        progress=progress,
        cache=None if cache is None else BatchCache(cache),
    )
    abc = pyabc.ABCSMC(
        models=model,
        parameter_priors=ValidPrior(priors, simulator.valid),
        distance_function=RecordKernel(terms),
        population_size=spec.population_size,
        eps=temperatures(spec.max_generations),
        acceptor=StochasticAcceptor(pdf_norm_method=pdf_norm_from_kernel),
        sampler=sampler,
    )
    observed = {term.key: term.centre for term in terms}
    return Setup(spec, priors, targets, abc, observed, simulator)


def quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; strikesim prints its own progress lines."""
    for name in ("ABC", "pyabc", "Sampler", "Epsilon", "Acceptor", "Distance", "History"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_abc(
    study: Setup, db: str, *, resume: bool, max_generations: int | None = None
) -> pyabc.History:
    """Run (or continue) the ABC-SMC of ``study`` in the database ``db`` (SQLAlchemy URL).

    A new study starts generation 0; a resumed one loads run 1 of ``db`` and continues after its
    last stored generation. Stops at temperature 1 (the exact posterior under the record's error
    model) or when ``max_generations`` (default: the spec's) exist in all; the temperature
    schedule then ends at 1 on the last of them.
    """
    quiet_pyabc()
    total = study.spec.max_generations if max_generations is None else max_generations
    if resume:
        history = study.abc.load(db, 1)
        done = history.max_t + 1
        if done and finished(history):
            return history
    else:
        study.abc.new(db, study.observed)
        done = 0
    if done >= total:
        return study.abc.history
    return study.abc.run(max_nr_populations=total - done)


def finished(history: pyabc.History) -> bool:
    """Has the last stored generation reached temperature 1 (the exact posterior)?"""
    populations = history.get_all_populations()
    populations = populations[populations.t >= 0]
    return bool(len(populations)) and bool(np.isclose(populations.epsilon.iloc[-1], 1.0))


def posterior_table(history: pyabc.History, priors: dict[str, Prior]) -> pd.DataFrame:
    """The last generation's particles: config values of each key and their weight.

    Integer keys are rounded as the runs used them; ``weight`` sums to 1.
    """
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    table = pd.DataFrame({k: [p.value(v) for v in frame[k].to_numpy()] for k, p in priors.items()})
    table.insert(0, "draw", np.arange(len(table)))
    table["weight"] = np.asarray(weights, float) / float(np.sum(weights))
    return table


PREDICTIVE = 0x7072  # stream tag: the posterior predictive's seeds never coincide with a study's


def predictive_table(study: Setup, posterior: pd.DataFrame) -> pd.DataFrame:
    """The posterior predictive in people: each particle simulated again on a fresh seed.

    Why not the simulations pyabc stored: those are the ones the acceptor *kept*, so they lean
    towards the record; a predictive check needs new draws of the simulator's noise at each
    posterior particle. Every target is simulated, held-out ones too. Particles are run in
    batches of the spec's ``batch_size`` sharing a city, on seeds derived from the spec's seed
    and :data:`PREDICTIVE` (reproducible; independent of the study's own seeds). ``weight`` is
    the particle's.
    """
    keys = [k for k in posterior.columns if k not in ("draw", "weight")]
    thetas = [dict(zip(keys, row, strict=True)) for row in posterior[keys].to_numpy(float)]
    size = study.spec.batch_size
    batches = [
        (thetas[lo : lo + size], [derived_seed(study.spec.seed, PREDICTIVE, lo // size)])
        for lo in range(0, len(thetas), size)
    ]
    stats = study.simulator.simulate(batches)
    frame = pd.DataFrame(
        {
            "draw": posterior["draw"].to_numpy(),
            "weight": posterior["weight"].to_numpy(float),
            "seed": [seeds[0] for chunk, seeds in batches for _ in chunk],
        }
    )
    for key in study.simulator.keys:
        frame[key] = [float(np.expm1(s[key][0])) for s in stats]
    return frame


# --- the study folder -----------------------------------------------------------------------------
STUDY = "study.json"
LOCK = ".lock"
BATCHES = "batches"  # the BatchCache of a study folder


@contextmanager
def study_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` exclusively while a command works on the study folder ``out``.

    Why: two ``strikesim calibrate`` commands on one folder would both append generations to one
    history database and overwrite each other's tables. The lock is
    :func:`strikesim.results.folder_lock` (a killed study leaves no stale lock). The folder is
    created if absent (a new study's); the lock file is all this writes.
    """
    results.make_parents(out)

    def in_use(holder: str) -> ConfigError:
        return ConfigError(
            f"--out={out} is in use by another strikesim calibrate (pid {holder}); allowed: "
            "wait for it to end, then run the same command to resume, or another --out"
        )

    with results.folder_lock(out / LOCK, in_use):
        yield


def check_folder(out: Path) -> None:
    """Refuse, before anything is written, a folder that is neither absent, empty nor a study.

    A folder holding only a lock file counts as empty (a study whose first command stopped
    before writing ``study.json``). Call it before :func:`study_lock`, which writes the lock
    file into the folder, and again holding it (another command may have started meanwhile).
    """
    if not out.exists() or (out / STUDY).is_file():
        return
    if out.is_dir() and not {p.name for p in out.iterdir()} - {LOCK}:
        return
    results.refuse_existing(out, "--out")


def spec_record(spec: CalibrationSpec) -> dict[str, Any]:
    """The spec as JSON data: what a resumed study must match (its ``source`` may differ)."""
    data = asdict(spec)
    data.pop("source")
    data["targets"] = [asdict(t) if isinstance(t, Target) else dict(t) for t in spec.targets]
    return json.loads(json.dumps(data))  # enums and tuples as JSON has them


def open_study(spec: CalibrationSpec, out: Path, command: str) -> bool:
    """Make ``out`` a study folder of ``spec``; True when it already was one (resume).

    Call it holding :func:`study_lock`. A new study needs a folder that is empty (but for the
    lock); a folder holding ``study.json`` of the same spec resumes; anything else is refused
    in one line naming what differs, before any work.
    """
    record = spec_record(spec)
    marker = out / STUDY
    if marker.is_file():
        stored = json.loads(marker.read_text(encoding="utf-8"))
        for key, value in record.items():
            if stored["spec"].get(key) != value:
                raise ConfigError(
                    f"--out={out} holds a study run with {key}={stored['spec'].get(key)!r}, "
                    f"not {value!r}; allowed: the same spec and options to resume it, or a new "
                    "--out"
                )
        stored["commands"].append(command)
        results.write_json(marker, stored)
        return True
    check_folder(out)
    study = {
        "spec": record,
        "source": spec.source,
        "commands": [command],
        "pyabc": pyabc.__version__,
        "sessions": [],
        **provenance.git_state(),
    }
    results.write_json(marker, study)
    return False


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_study(
    spec: CalibrationSpec,
    out: Path,
    *,
    resume: bool,
    workers: int = 1,
    progress: Progress | None = None,
) -> pyabc.History:
    """Run (``resume``: continue) the study of ``spec`` in ``out``; write its tables and report.

    ``out`` is a folder :func:`open_study` accepted, and the caller holds its
    :func:`study_lock`. ``workers`` processes simulate batches side by side (the results do not
    depend on it). Each command's wall time, CPU time (workers included) and simulations are
    appended to ``study.json`` (``sessions``): the cost of the record, in core-hours.
    """
    db = f"sqlite:///{(out / HISTORY).resolve()}"
    executor = ProcessPoolExecutor(workers) if workers > 1 else None
    start_wall, start_cpu = time.perf_counter(), cpu_seconds()
    try:
        study = setup(
            spec, workers=workers, executor=executor, progress=progress, cache=out / BATCHES
        )
        history = run_abc(study, db, resume=resume and (out / HISTORY).is_file())
        write_outputs(out, history, study, progress)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    record = json.loads((out / STUDY).read_text(encoding="utf-8"))
    record.setdefault("sessions", []).append(
        {
            "command": record["commands"][-1],
            "workers": workers,
            "wall_s": round(time.perf_counter() - start_wall, 1),
            "cpu_s": round(cpu_seconds() - start_cpu, 1),
            "simulations": study.simulator.runs,
        }
    )
    results.write_json(out / STUDY, record)
    calibration_report.write_report(out, spec, study.targets, study.priors, record)
    return history


def generations_table(history: pyabc.History) -> pd.DataFrame:
    """One row per stored generation: temperature, particles, simulations, acceptance, ESS."""
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0].reset_index(drop=True)
    ess = []
    for t in pops.t:
        _, w = history.get_distribution(m=0, t=int(t))
        w = np.asarray(w, float)
        ess.append(float(w.sum() ** 2 / (w**2).sum()))
    return pd.DataFrame(
        {
            "generation": pops.t.astype(int),
            "temperature": pops.epsilon.astype(float),
            "particles": pops.particles.astype(int),
            "evaluated": pops.samples.astype(int),
            "acceptance_rate": pops.particles / pops.samples,
            "ess": ess,
            "wall_time_s": pops.wall_time.astype(float).round(2),
        }
    )


def shipped_posterior(posterior: pd.DataFrame) -> pd.DataFrame:
    """The posterior as shipped (``posterior.csv``, copied to
    ``scenarios/calibration/<name>_posterior.csv``): ``draw`` and the config keys, and
    ``weight`` only when the weights differ — a reader takes rows uniformly without it
    (:mod:`strikesim.draws`), and one generation at ``T = 1`` weighs all alike."""
    weights = posterior["weight"].to_numpy(float)
    if np.allclose(weights, weights.mean(), rtol=1e-12, atol=0.0):
        return posterior.drop(columns="weight")
    return posterior


def stored_predictive(out: Path, posterior: pd.DataFrame) -> pd.DataFrame | None:
    """The folder's predictive if it was simulated from this very posterior, else None.

    Why: running a finished study again must not pay for its predictive again (it would come
    out identical: its seeds are fixed), nor keep one made from an older generation.
    """
    try:
        stored = pd.read_parquet(out / "posterior.parquet")
        predictive = pd.read_parquet(out / "predictive.parquet")
    except (FileNotFoundError, OSError, ValueError):
        return None
    return predictive if stored.equals(posterior) else None


def write_outputs(
    out: Path, history: pyabc.History, study: Setup, progress: Progress | None = None
) -> None:
    """The study's tables, each written atomically: posterior, predictive, generations.

    The predictive is simulated (:func:`predictive_table`), deterministically: a command that
    stops while simulating it writes it, identical, when run again.
    """
    posterior = posterior_table(history, study.priors)
    predictive = stored_predictive(out, posterior)
    if predictive is None:
        if progress is not None:
            progress(f"  posterior predictive: {len(posterior)} particles on fresh seeds")
        predictive = predictive_table(study, posterior)
    tables = {
        "posterior.parquet": posterior,
        "posterior.csv": shipped_posterior(posterior),
        "predictive.parquet": predictive,
        "generations.csv": generations_table(history),
    }
    for name, table in tables.items():
        if name.endswith(".parquet"):
            results.write_parquet(out / name, table)
        else:
            results.atomic_write(out / name, lambda tmp, t=table: t.to_csv(tmp, index=False))
