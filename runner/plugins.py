"""Make partnersim's Hydra plugins known to Hydra, however partnersim was installed.

Hydra finds plugins by scanning the ``hydra_plugins`` namespace package's folders. An editable
install in pip's default mode serves partnersim's modules through an import hook instead, so the
scan misses them (``Unknown plugin class``); registering them by hand, with Hydra's public
``Plugins.register``, works for every kind of install.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PartnersimLauncherConf:
    """The local launcher's settings, typed, so that ``hydra.launcher.n_jobs=many`` fails at composition.

    configs/hydra/launcher/partnersim.yaml builds on it (``partnersim_schema`` in its defaults
    list). It lives here, not in the launcher's module, because Hydra's plugin scan executes the
    modules of ``hydra_plugins`` afresh: a class defined there would not be the one the
    configuration refers to, and a job's configuration could not be pickled back from a worker.
    """

    _target_: str = "hydra_plugins.partnersim_sweeper.launcher.PartnersimLauncher"
    n_jobs: int = -1
    start_method: str | None = None


def register_plugins() -> None:
    """Register partnersim's sweeper, its launchers and the local launcher's schema with Hydra. Idempotent."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    from hydra_plugins.partnersim_slurm.launcher import SlurmLauncher
    from hydra_plugins.partnersim_sweeper.launcher import PartnersimLauncher
    from hydra_plugins.partnersim_sweeper.sweeper import PartnersimSweeper

    plugins = Plugins.instance()
    for plugin in (PartnersimSweeper, PartnersimLauncher, SlurmLauncher):
        plugins.register(plugin)
    ConfigStore.instance().store(
        group="hydra/launcher", name="partnersim_schema", node=PartnersimLauncherConf
    )
