"""partnersim's sweeper, in the ``hydra_plugins`` namespace where Hydra looks for sweepers."""
