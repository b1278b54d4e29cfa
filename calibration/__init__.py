"""Calibration: fitting the model's free parameters to public figures with ABC-SMC (pyabc).

- :mod:`calibration.spec`: the targets (public figures, their sources and error models) and the
  free parameters (prior ranges, why each is free), checked against the schema;
- :mod:`calibration.fit`: running the model for a particle, and the resumable ABC-SMC run;
- :mod:`calibration.outputs`: the calibration folder (posterior, predictive checks, figures,
  report);
- :mod:`calibration.cli`: ``partnersim-calibrate``, the Hydra application.

This package sits beside the analysis and the teaching app, above the runner (docs/architecture.md).
"""
