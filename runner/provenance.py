"""What a result came from: the code's fingerprint, the libraries, the git commit, the command line.

A run's result depends on its validated configuration, its seed (part of the configuration), the
model's code and the libraries that compute with it. :func:`fingerprint` condenses the last two
into one short hash: the source of the ``sim`` and ``runner`` packages *as installed* (read from
the files Python imports, so a wheel and an editable install are fingerprinted alike) and the
versions of the libraries that shape results (:data:`LIBRARIES`). Resume skips a job only when its
configuration hash and this fingerprint both match (:func:`runner.sweep.completed`).

:func:`write_crate` describes a sweep folder as a Workflow Run RO-Crate
(``ro-crate-metadata.json``, https://w3id.org/ro/wfrun/workflow): the command, the code version and
fingerprint, the configuration, every job's inputs (its overrides and composed configuration, its
seed) and outputs, and the software versions.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shlex
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

# The libraries whose versions can change a run's numbers (or how its tables are written).
LIBRARIES = ("numpy", "scipy", "mesa", "pandas", "pyarrow", "networkx", "SALib")
PACKAGES = ("sim", "runner")

WFRUN = "https://w3id.org/ro/wfrun/workflow/0.5"
PROCESS = "https://w3id.org/ro/wfrun/process/0.5"
RO_CRATE = "https://w3id.org/ro/crate/1.1"


def _package_dir(name: str) -> Path:
    # find_spec does not import the package: the analysis may fingerprint without the model.
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"package {name} is not installed")
    return Path(spec.origin).resolve().parent


@lru_cache(maxsize=1)
def code_hash() -> str:
    """A hash of the Python source of :data:`PACKAGES`, as installed (path and content of each file)."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        root = _package_dir(package)
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            digest.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """The versions of Python and of :data:`LIBRARIES` (``missing`` for one not installed)."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """One hash of the installed code (:func:`code_hash`) and the library versions: 16 hex digits."""
    text = json.dumps({"code": code_hash(), "libraries": library_versions()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def git_commit() -> dict[str, Any] | None:
    """The git commit of the source tree the code runs from, if it runs from one (else None).

    Only an install that runs the repository's own files (editable, or from the source tree) has
    a commit; a wheel in site-packages has none, and a machine without git is fine too.
    ``dirty`` says whether ``sim/`` or ``runner/`` differ from that commit (the fingerprint says how).
    """
    root = _package_dir("sim").parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", *PACKAGES],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def command_line(argv: list[str] | None = None) -> str:
    """The command line of this process, as a shell would take it back."""
    args = list(sys.argv if argv is None else argv)
    if args:
        args[0] = Path(args[0]).name
        if args[0] == "__main__.py":
            args[0] = "python -m runner"
            return " ".join([args[0], *(shlex.quote(a) for a in args[1:])])
    return shlex.join(args)


def identity() -> dict[str, Any]:
    """What every summary.json and sweep.json records of the code: fingerprint, versions, commit."""
    try:
        version = metadata.version("partnersim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "version": version,
        "fingerprint": fingerprint(),
        "code_hash": code_hash(),
        "libraries": library_versions(),
        "git": git_commit(),
    }


# --------------------------------------------------------------------------------- the RO-Crate
def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_crate(sweep_dir: str | Path) -> Path:
    """Describe a sweep folder as a Workflow Run RO-Crate, in ``ro-crate-metadata.json`` (atomic).

    The crate's main entity is the sweep's design (``sweep.json``); one ``CreateAction`` is the
    sweep (the command line, its configuration ``multirun.yaml`` and the design in, the job folders
    and any collected tables out) and one ``CreateAction`` per job has its overrides, composed
    configuration and seed as ``object`` and its files as ``result``, with the code's fingerprint
    and the versions of the libraries on the instrument (and, for a job whose model parameters
    were drawn from a calibration's posterior, the calibration folder, draw and particle). A job
    that failed has its ``error.json`` as result and ``actionStatus`` FailedActionStatus.

    Args:
        sweep_dir: the sweep folder.

    Returns:
        The path of ``ro-crate-metadata.json``.
    """
    import tempfile

    from rocrate.model import ContextEntity
    from rocrate.rocrate import ROCrate

    from runner.files import (
        COLLECTED,
        CRATE,
        ERROR,
        JOB_OVERRIDES,
        MANIFEST,
        RESULTS,
        RESULTS_TIMESERIES,
        SUMMARY,
        job_folders,
    )
    from runner.outputs import atomic_write

    sweep_dir = Path(sweep_dir)
    manifest = _read_json(sweep_dir / MANIFEST)
    manifest = manifest if isinstance(manifest, dict) else {}
    # The code the jobs ran (what their summaries recorded), not the code of this process, which
    # may have changed since: one instrument per fingerprint found, the first named #partnersim.
    ident = identity()
    found: dict[str, dict] = {}
    for job in job_folders(sweep_dir):
        summary = _read_json(job / SUMMARY)
        if isinstance(summary, dict) and summary.get("fingerprint"):
            found.setdefault(str(summary["fingerprint"]), summary)
    if found:
        first = next(iter(found.values()))
        ident = {
            "version": first.get("version", ident["version"]),
            "fingerprint": first["fingerprint"],
            "code_hash": first.get("code_hash", "unknown"),
            "libraries": first.get("libraries") or {},
            "git": first.get("git"),
        }
    crate = ROCrate()
    crate.name = f"partnersim sweep {sweep_dir.name}"
    crate.description = (
        "A partnersim parameter sweep: one run of the agent-based model per job, "
        "described as a Workflow Run RO-Crate."
    )
    crate.root_dataset["conformsTo"] = [{"@id": PROCESS}, {"@id": WFRUN}]
    for uri, name in ((PROCESS, "Process Run Crate"), (WFRUN, "Workflow Run Crate")):
        crate.add(
            ContextEntity(crate, uri, properties={"@type": "CreativeWork", "name": name, "version": "0.5"})
        )

    libraries = []
    for name, version in ident["libraries"].items():
        libraries.append(
            crate.add(
                ContextEntity(
                    crate,
                    f"#software-{name}",
                    properties={"@type": "SoftwareApplication", "name": name, "softwareVersion": version},
                )
            )
        )
    git = ident.get("git") or {}
    app_props = {
        "@type": "SoftwareApplication",
        "name": "partnersim",
        "softwareVersion": ident["version"],
        "identifier": f"fingerprint:{ident['fingerprint']}",
        "description": (
            f"code fingerprint {ident['fingerprint']} (source of sim/ and runner/ as installed, "
            f"hash {ident['code_hash']}, and the library versions)"
            + (
                f"; git commit {git['commit']}{' with local changes' if git.get('dirty') else ''}"
                if git
                else ""
            )
        ),
        "softwareRequirements": [{"@id": lib.id} for lib in libraries],
    }
    app = crate.add(ContextEntity(crate, "#partnersim", properties=app_props))
    apps = {ident["fingerprint"]: app}
    for fp, other in found.items():  # jobs of other code (collect lists them as mixed)
        if fp not in apps:
            props = {**app_props, "identifier": f"fingerprint:{fp}", "softwareVersion": other.get("version")}
            props["description"] = f"code fingerprint {fp} (jobs run by other code than #partnersim)"
            apps[fp] = crate.add(ContextEntity(crate, f"#partnersim-{fp}", properties=props))

    design_props = {
        "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"],
        "name": "the sweep's design: every job's overrides and configuration hash",
        "programmingLanguage": {"@id": "#hydra-multirun"},
        "encodingFormat": "application/json",
    }
    crate.add(
        ContextEntity(
            crate,
            "#hydra-multirun",
            properties={
                "@type": "ComputerLanguage",
                "name": "Hydra multirun (partnersim -m)",
                "url": "https://hydra.cc",
            },
        )
    )
    design = crate.add_file(dest_path=MANIFEST, properties=design_props)
    crate.mainEntity = design
    inputs = [design]
    if (sweep_dir / "multirun.yaml").is_file():
        inputs.append(
            crate.add_file(
                dest_path="multirun.yaml",
                properties={
                    "name": "the sweep's composed configuration (Hydra)",
                    "encodingFormat": "application/yaml",
                },
            )
        )

    job_results = []
    for job in job_folders(sweep_dir):
        rel = job.name
        summary = _read_json(job / SUMMARY) if (job / SUMMARY).is_file() else None
        objects = []
        for name, label in ((JOB_OVERRIDES, "overrides"), (".hydra/config.yaml", "composed configuration")):
            if (job / name).is_file():
                objects.append(
                    crate.add_file(dest_path=f"{rel}/{name}", properties={"name": f"{rel}: {label}"})
                )
        props: dict[str, Any] = {"name": f"job {rel}"}
        if isinstance(summary, dict):
            seed = crate.add(
                ContextEntity(
                    crate,
                    f"#{rel}-seed",
                    properties={
                        "@type": "PropertyValue",
                        "name": "run.seed",
                        "value": str(summary.get("seed")),
                    },
                )
            )
            objects.append(seed)
            drawn = summary.get("posterior")
            if isinstance(drawn, dict):  # the model parameters came from a calibration's posterior
                objects.append(
                    crate.add(
                        ContextEntity(
                            crate,
                            f"#{rel}-posterior",
                            properties={
                                "@type": "PropertyValue",
                                "name": "experiment.posterior",
                                "value": str(drawn.get("folder")),
                                "description": (
                                    f"draw {drawn.get('draw')} of {drawn.get('draws')} from calibration "
                                    f"{drawn.get('name')!r}: particle {drawn.get('particle')} of "
                                    f"posterior.parquet (sha256 {drawn.get('sha256')})"
                                ),
                            },
                        )
                    )
                )
            outputs = [
                crate.add_file(dest_path=f"{rel}/{name}", properties={"name": f"{rel}: {name}"})
                for name in [SUMMARY, *sorted(summary.get("outputs") or {})]
                if (job / name).is_file()
            ]
            props["actionStatus"] = "http://schema.org/CompletedActionStatus"
            props["description"] = (
                f"config hash {summary.get('config_hash')}, code fingerprint {summary.get('fingerprint')}"
            )
        elif (job / ERROR).is_file():
            outputs = [crate.add_file(dest_path=f"{rel}/{ERROR}", properties={"name": f"{rel}: the error"})]
            props["actionStatus"] = "http://schema.org/FailedActionStatus"
        else:
            outputs = []
            props["actionStatus"] = "http://schema.org/ActiveActionStatus"
        job_results.extend(outputs)
        instrument = apps.get(str(summary.get("fingerprint")), app) if isinstance(summary, dict) else app
        crate.add_action(
            instrument, identifier=f"#job-{rel}", object=objects, result=outputs, properties=props
        )

    collected = [
        crate.add_file(dest_path=name, properties={"name": f"collected table {name}"})
        for name in (RESULTS, RESULTS_TIMESERIES, COLLECTED)
        if (sweep_dir / name).is_file()
    ]
    crate.add_action(
        design,
        identifier="#sweep",
        object=inputs,
        result=job_results + collected,
        properties={
            "name": f"sweep {sweep_dir.name}",
            "description": f"command: {manifest.get('command', 'unknown')}",
            "actionStatus": "http://schema.org/CompletedActionStatus",
        },
    )
    with tempfile.TemporaryDirectory(dir=sweep_dir, prefix=".crate-") as tmp:
        crate.metadata.write(tmp)
        text = (Path(tmp) / CRATE).read_text()
    return atomic_write(sweep_dir / CRATE, lambda path: path.write_text(text))
