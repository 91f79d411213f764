"""The classics the engine reproduces: Granovetter (1978), Watts (2002), Centola & Macy (2007).

Analytic results (:mod:`.theory`) and the experiments that check the engine against them
(:mod:`.validation`); see docs/validation.md.
"""
