#!/usr/bin/env bash
# Create .venv (if missing or broken) and install leadflow into it, editable.
#
#   scripts/bootstrap.sh          # pip install -e .
#   scripts/bootstrap.sh dev      # pip install -e '.[dev]'
#
# Idempotent and fast: a stamp file in .venv records the hash of pyproject.toml
# (plus the Python version and the extras); when it matches, nothing is installed.
# Environment: PYTHON (default python3), VENV (default .venv).
set -euo pipefail

cd "$(dirname "$0")/.."

extra="${1:-}"
case "$extra" in
  "") spec="." ;;
  dev) spec=".[dev]" ;;
  *) echo "usage: $0 [dev]" >&2; exit 2 ;;
esac

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "bootstrap: $PYTHON not found (Python >= 3.11 is required)" >&2
  exit 1
fi

# A venv whose interpreter no longer runs (moved, or Python upgraded) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "bootstrap: $VENV is broken; recreating it" >&2
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV with $PYTHON" >&2
  "$PYTHON" -m venv "$VENV"
fi

pyver="$("$VENV/bin/python" -c 'import sys; print(sys.version)')"
hash="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
key="$(printf '%s\n%s\n' "$hash" "$pyver" | sha256sum | cut -d' ' -f1)"

stamp_base="$VENV/.leadflow-install-base"
stamp_dev="$VENV/.leadflow-install-dev"
if [ "$extra" = dev ]; then stamp="$stamp_dev"; else stamp="$stamp_base"; fi

up_to_date() {
  # The dev install is a superset of the base one.
  local f
  for f in "$@"; do
    if [ -f "$f" ] && [ "$(cat "$f")" = "$key" ]; then return 0; fi
  done
  return 1
}

if [ "$extra" = dev ]; then
  up_to_date "$stamp_dev" && exit 0
else
  up_to_date "$stamp_base" "$stamp_dev" && exit 0
fi

echo "bootstrap: installing leadflow ($spec) into $VENV" >&2
rm -f "$stamp"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
echo "$key" >"$stamp"
