"""Localities, council and health boundaries, and the coterminosity they produce.

Localities sit on a ``rows x cols`` grid. Council areas are ``n_areas`` bands of columns. Health
(primary care trust) areas are drawn from the ``coterminosity`` lever: each locality takes the
health area paired with its council area with probability ``coterminosity``, and otherwise the
health area of a band of rows, which cuts across the council bands as far as a grid allows. At 1
every health area coincides with one council area; at 0 every health area straddles all councils.
GP lists straddle too: a share of users is registered in another health area than their
locality's (``geography.gp_straddle``).

Joint teams are organised per pair of a health area and the council area with the same index. A
user is *aligned* (one team covers them) when their GP's health area is the one paired with their
council area. The reported coterminosity is the share of localities whose health area is the one
paired with their council area, rescaled so that the fully cross-cutting layout (where 1 in
``n_areas`` localities match by chance) scores 0 and identical boundaries score 1.

Source: Brereton & Clarke (002_59ebb7269a103f44.txt), "lack of geographical co-terminosity ...
the distribution of GPs' lists adds a further source of confusion".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Geography:
    """The boundaries of one run.

    Attributes:
        rows, cols: grid shape; locality ``l`` sits at ``(l // cols, l % cols)``.
        council: council area of each locality.
        health: health area of each locality.
        alignment: ``[n_areas, n_areas]``: 1 where health area h is the one paired with council
            area c (one joint team covers both), else 0.
        measured_coterminosity: the coterminosity the boundaries actually produce, in [0, 1].
    """

    rows: int
    cols: int
    n_areas: int
    council: np.ndarray
    health: np.ndarray
    alignment: np.ndarray
    measured_coterminosity: float

    @property
    def n_localities(self) -> int:
        """Number of localities."""
        return self.rows * self.cols


def _score(health: np.ndarray, council: np.ndarray) -> float:
    return float((health == council).mean())


def generate(rows: int, cols: int, n_areas: int, coterminosity: float, rng: np.random.Generator) -> Geography:
    """Draw health boundaries against fixed council boundaries from the coterminosity lever.

    Args:
        rows: grid rows (divisible by n_areas).
        cols: grid columns (divisible by n_areas).
        n_areas: number of council areas and of health areas.
        coterminosity: the lever, in [0, 1].
        rng: random generator of the model.

    Returns:
        The Geography with its measured coterminosity.
    """
    r, c = np.divmod(np.arange(rows * cols), cols)
    council = c // (cols // n_areas)
    crossing = r // (rows // n_areas)
    everywhere = np.ones(rows * cols, bool)
    return redraw(rows, cols, n_areas, council, crossing, everywhere, council.copy(), coterminosity, rng)


def redraw(rows, cols, n_areas, council, crossing, which, health, coterminosity, rng) -> Geography:
    """Redraw the health area of the localities in ``which`` (used at start and by reorganisation).

    Args:
        rows: grid rows.
        cols: grid columns.
        n_areas: number of council areas, and of health areas.
        council: council area per locality.
        crossing: the cross-cutting (row band) health area per locality.
        which: boolean mask of localities to redraw.
        health: current health areas (kept where ``which`` is False).
        coterminosity: the lever.
        rng: random generator.

    Returns:
        A new Geography.
    """
    health = health.copy()
    aligned = rng.random(council.size) < coterminosity
    health[which] = np.where(aligned, council, crossing)[which]
    floor = _score(crossing, council)
    raw = _score(health, council)
    measured = 1.0 if floor >= 1.0 else float(np.clip((raw - floor) / (1.0 - floor), 0.0, 1.0))
    return Geography(rows, cols, n_areas, council, health, np.eye(n_areas), measured)


def crossing_areas(geo: Geography) -> np.ndarray:
    """The cross-cutting health area of each locality (its band of rows)."""
    r = np.arange(geo.n_localities) // geo.cols
    return r // (geo.rows // geo.n_areas)
