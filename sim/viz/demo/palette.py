"""The demo's colours and shapes, shared by the page (sent as data) and the animation (matplotlib).

Why these colours: a projector washes out light tints and one reader in twelve has a red-green
colour-vision deficiency, so the four states are Okabe & Ito's colour-blind-safe palette (2008)
and also differ in lightness: light grey *unaware*, dark blue *sympathetic*, orange *committed*,
vermillion *marching*. Kinds of people differ by shape, not colour.
"""

from __future__ import annotations

STATES = ("unaware", "sympathetic", "committed", "marching")
STATE_COLOURS = ("#c8c8c8", "#0072b2", "#e69f00", "#d55e00")  # in STATES order
FORMS = ("striking", "walkouts", "marching")
FORM_COLOURS = {"striking": "#56b4e9", "walkouts": "#cc79a7", "marching": "#d55e00"}
OBSERVED_COLOUR = "#009e73"  # the observed turnout and its range
UNION_EDGE, FAITH_EDGE = "#000000", "#6a3d9a"  # outlines: union member, congregant
KINDS = ("worker", "student", "other resident")  # shapes: circle, triangle, diamond
