"""``python -m runner``: the same Hydra application as the ``partnersim`` command."""

from runner.cli import main

if __name__ == "__main__":
    main()
