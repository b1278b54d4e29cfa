"""The project's colours, in one place: the overview figure, the teaching app and the analysis.

Okabe & Ito's palette, distinguishable with the common forms of colour blindness (and in greyscale
with line styles). It lives in the runner because the runner draws the overview figure and must not
import the analysis; :mod:`analysis.style` and :mod:`teaching_app.views` import it from here.
"""

from __future__ import annotations

BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
BLACK = "#000000"
YELLOW = "#F0E442"
GREY = "#555555"  # reference lines, shock marks, notes

#: The palette in order of use: the first colours are the most distinct on white (yellow last).
PALETTE = (BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, BLACK, YELLOW)
