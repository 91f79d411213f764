"""Study tools built on single runs: sweeps, comparison, sensitivity, calibration, attribution.

Each returns data (tables, records) and writes its folder; the command line that drives it lives
in :mod:`strikesim.cli`. Studies depend on the engine and :mod:`strikesim.run`, never the reverse.
"""
