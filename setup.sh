#!/usr/bin/env bash
# Set up partnersim in .venv: find Python 3.12 or newer, create the virtual environment and
# install the package (editable) with its test tools. Safe to run again: when nothing has changed
# it only checks and returns.
#
#   ./setup.sh && .venv/bin/partnersim          # run the default scenario, write its figure
#   ./setup.sh && .venv/bin/python -m pytest    # run the whole test suite
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
VENV=.venv
STAMP="$VENV/.partnersim-installed"
NEEDS="(3, 12)"

say() { printf 'setup.sh: %s\n' "$*" >&2; }

# Print the real interpreter path behind a command if it is Python >= 3.12, else fail.
# Run through env so that a leading VAR=value (e.g. PYENV_VERSION=3.12.1 python3.12) works.
usable() {
    env "$@" -c "import sys; assert sys.version_info >= $NEEDS; print(sys.executable)" 2>/dev/null
}

find_python() {
    local candidate version root
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && usable "$candidate"; then
            return 0
        fi
    done
    # pyenv installs that are not the active version, oldest first (3.12 is what the project is
    # developed on): ask pyenv, then look where it keeps them.
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root 2>/dev/null || true)"
        while read -r version; do
            case "$version" in 3.1[2-9]* | 3.[2-9][0-9]*) ;; *) continue ;; esac
            if [ -n "$root" ] && usable "$root/versions/$version/bin/python"; then
                return 0
            fi
            if usable PYENV_VERSION="$version" pyenv exec python; then
                return 0
            fi
        done < <(pyenv versions --bare 2>/dev/null | sort -V)
    fi
    # pyenv's usual home, even when pyenv itself is not on PATH.
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python; do
        if [ -x "$candidate" ] && usable "$candidate"; then
            return 0
        fi
    done
    return 1
}

venv_ok() {
    [ -x "$VENV/bin/python" ] && usable "$VENV/bin/python" >/dev/null
}

# The package is installed with its dependencies (without importing them: this must be fast).
INSTALLED='
import importlib.metadata, importlib.util
importlib.metadata.version("partnersim")
assert all(importlib.util.find_spec(m) for m in ("hydra", "mesa", "pytest", "pyarrow", "matplotlib", "solara", "playwright"))
'

fingerprint() {
    # What the installation depends on: the project metadata and the interpreter.
    { cat pyproject.toml setup.sh; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } | cksum
}

if ! venv_ok; then
    if ! PYTHON="$(find_python)"; then
        say "partnersim needs Python 3.12 or newer, and none was found."
        say "Install one, for example with pyenv (pyenv install 3.12) or from https://www.python.org/downloads/,"
        say "then run ./setup.sh again."
        exit 1
    fi
    if [ -e "$VENV" ]; then
        say "replacing $VENV (its Python is missing or older than 3.12)"
        rm -rf "$VENV"
    fi
    say "creating $VENV with $PYTHON"
    if ! "$PYTHON" -m venv "$VENV"; then
        say "could not create $VENV with $PYTHON (on Debian or Ubuntu, install the python3-venv package)"
        exit 1
    fi
fi

# The browser app's JavaScript and CSS, from the npm registry, so that partnersim-app works
# offline. Quick when they are in place; without npm the rest of the setup still works.
web_assets() {
    scripts/install-web-assets.sh "$PWD/$VENV" \
        || say "warning: partnersim-app needs the internet until scripts/install-web-assets.sh succeeds (it needs npm once)"
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(fingerprint)" ] \
    && [ -x "$VENV/bin/partnersim" ] && "$VENV/bin/python" -c "$INSTALLED" >/dev/null 2>&1; then
    web_assets
    exit 0
fi

say "installing partnersim and its dependencies into $VENV (a few minutes the first time)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
web_assets
fingerprint >"$STAMP"
say "ready: .venv/bin/partnersim runs the model, .venv/bin/partnersim-app the teaching app, .venv/bin/python -m pytest the tests"
