"""Make partnersim's Hydra plugins known to Hydra, however partnersim was installed.

Hydra finds plugins by scanning the ``hydra_plugins`` namespace package's folders. An editable
install in pip's default mode serves partnersim's modules through an import hook instead, so the
scan misses them (``Unknown plugin class``); registering them by hand, with Hydra's public
``Plugins.register``, works for every kind of install.
"""

from __future__ import annotations


def register_plugins() -> None:
    """Register partnersim's sweeper and launchers with Hydra. Idempotent."""
    from hydra.core.plugins import Plugins

    from hydra_plugins.partnersim_slurm.launcher import SlurmLauncher
    from hydra_plugins.partnersim_sweeper.launcher import PartnersimLauncher
    from hydra_plugins.partnersim_sweeper.sweeper import PartnersimSweeper

    plugins = Plugins.instance()
    for plugin in (PartnersimSweeper, PartnersimLauncher, SlurmLauncher):
        plugins.register(plugin)
