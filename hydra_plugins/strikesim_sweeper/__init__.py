"""strikesim's sweeper as a Hydra plugin (``hydra/sweeper: strikesim``).

Hydra instantiates sweepers only from classes defined under the ``hydra_plugins`` namespace, so
this thin class lives here; the logic is :class:`strikesim.studies.sweeper.SweepRunner`.
Hydra finds plugins by scanning ``hydra_plugins``, which an editable install hides, so the
command line calls :func:`register` (Hydra's public ``Plugins.register``) before a sweep.
"""

from __future__ import annotations

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper

from strikesim.studies.sweeper import SweepRunner


class StrikeSweeper(SweepRunner, Sweeper):
    """Hydra's Sweeper interface, implemented by :class:`SweepRunner`."""


def register() -> None:
    """Make the sweeper known to Hydra, whether or not its plugin scan found it.

    Not at import: Hydra's scan imports this module while building ``Plugins.instance()``.
    """
    plugins = Plugins.instance()
    if StrikeSweeper not in plugins.discover(Sweeper):
        plugins.register(StrikeSweeper)
