"""Analysis of partnersim results: collect sweeps, report effects, draw figures.

The analysis tools (collect, report, figures, effects, sensitivity) arrive with the experiments
issue. Nothing here runs the model: results flow from run folders into this package, never back.
"""
