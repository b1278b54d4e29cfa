"""``python -m sim``: the same Hydra application as the ``partnersim`` command."""

from sim.cli import main

if __name__ == "__main__":
    main()
