"""The classroom demo: a Mesa SolaraViz page (``strikesim demo``) and its pictures.

``scene`` holds the settings and numbers, ``drawing`` the matplotlib pictures (shared with
``strikesim animate``), ``app`` the Solara page, ``server`` the command that serves it.
"""
