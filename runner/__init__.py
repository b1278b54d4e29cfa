"""The runner: everything that drives the model (``sim``) and writes what it produced.

- :mod:`runner.compose`: configs plus overrides to a validated config (the public entrance for
  Python code and the teaching app);
- :mod:`runner.cli`: the thin Hydra application behind ``partnersim``;
- :mod:`runner.outputs` and :mod:`runner.files`: a run folder and the names of its files;
- :mod:`runner.figure` and :mod:`runner.palette`: the overview figure of a run, and the colours
  every figure and the app share;
- :mod:`runner.sweep`: a sweep's manifest, resuming, failure records and progress;
- :mod:`runner.experiment`: experiment designs and each run's seed;
- :mod:`runner.plugins`: makes partnersim's Hydra plugins known to Hydra.

The model never imports any of it (docs/architecture.md).
"""
