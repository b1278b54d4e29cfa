"""partnersim's SLURM launcher, in the ``hydra_plugins`` namespace where Hydra looks for launchers."""
