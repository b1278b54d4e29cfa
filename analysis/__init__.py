"""Analysis of partnersim results: from a sweep's folders to tables, figures and a report.

Nothing here runs the model: results flow from run folders into this package, never back.

- :mod:`analysis.collect`: ``partnersim-collect SWEEP_DIR`` gathers a sweep into ``results.parquet``
  and ``timeseries.parquet``.
- :mod:`analysis.report`: ``python -m analysis.report SWEEP_DIR`` writes the experiment's report
  (``report.md``, ``report.html``, figures, effect table, verdicts on the hypothesis).
- :mod:`analysis.load` and :mod:`analysis.design`: read a sweep, its experiment and its conditions.
- :mod:`analysis.figures`, :mod:`analysis.effects`, :mod:`analysis.sensitivity`,
  :mod:`analysis.hypotheses`: each figure and table as a function of a DataFrame, for notebooks
  (see :mod:`analysis.example`); :mod:`analysis.style` is the one place for their look and
  :mod:`analysis.outcomes` for the names and units of the outcomes.
- :mod:`analysis.gallery`: ``python -m analysis.gallery`` regenerates ``docs/gallery.md``.
"""
