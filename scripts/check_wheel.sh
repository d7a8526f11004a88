#!/usr/bin/env bash
# Release smoke test (issue 15): build the wheel, install it into a fresh
# virtualenv in a temporary directory outside the repository, and run
# mypy --strict there on a user app that uses every pattern (must pass) and on
# one with a wrong option name (must fail). Needs the package index for the
# dependencies (versions pinned by constraints.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bash scripts/setup.sh
rm -rf dist/
.venv/bin/python -m build --wheel --outdir dist/ >/dev/null
wheel=$(ls dist/*.whl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet -c constraints.txt "$wheel" mypy
cp tests/fixtures/typing/user_app.py tests/fixtures/typing/wrong_option.py "$work/"
cd "$work"
echo "mypy --strict user_app.py (installed from $(basename "$wheel"), outside the repository):"
"$work/venv/bin/python" -m mypy --strict user_app.py
echo "mypy --strict wrong_option.py (must fail):"
if "$work/venv/bin/python" -m mypy --strict wrong_option.py; then
  echo "FAIL: a wrong option name passed mypy" >&2
  exit 1
fi
echo "OK: the installed wheel type-checks a user app, and rejects a wrong option ($repo)"
