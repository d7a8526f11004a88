#!/usr/bin/env bash
# Fresh-venv release check (issues 15 and 31), as a new user gets the package:
#
# 1. a clean clone of the committed HEAD (uncommitted changes are not in it);
# 2. the wheel built there, installed with the [local] extra into a new virtualenv
#    outside the repository (dependencies pinned by constraints.txt; needs the
#    package index);
# 3. every ```python block of README.md and docs/ pasted into files of their own:
#    one `mypy --strict` run over them, each run, and what it synthesizes checked
#    with every pack (AwsSolutions, Serverless, ServerlessPatterns and cdk-nag's
#    NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1): zero errors, zero findings of
#    any severity (tests/test_docs_snippets.py with DOCS_SNIPPETS_ALL_PACKS=1, run
#    against the installed wheel, not the source tree);
# 4. mypy --strict on a user app that uses every pattern (must pass) and on one
#    with a wrong option name (must fail).
#
# Prints the time each step took. .ci/run runs it after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes are not checked (the clone is of $commit)" >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# one mypy cache for this venv's runs (the docs harness and the user apps), apart from the repository's
export MYPY_CACHE_DIR="$work/mypy-cache"
started=$SECONDS
step() { echo "== $1 ($((SECONDS - started)) s)"; }

step "clean clone of $commit"
git clone --quiet --no-checkout "$repo" "$work/src"
git -C "$work/src" checkout --quiet --detach "$commit"

step "fresh virtualenv, wheel built from the clone"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet -c "$work/src/constraints.txt" build
"$py" -m build --wheel --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
wheel=$(ls "$work/dist"/*.whl)
echo "built $(basename "$wheel")"

step "install the wheel with [local], mypy and pytest"
"$py" -m pip install --quiet -c "$work/src/constraints.txt" "cdk-serverless-patterns[local] @ file://$wheel" mypy pytest

# The docs harness and its inputs, without the package sources: the installed wheel is what runs.
check="$work/check"
mkdir -p "$check"
cp -r "$work/src/README.md" "$work/src/docs" "$work/src/tests" "$work/src/pyproject.toml" "$work/src/constraints.txt" "$check/"
cd "$check"
"$py" - <<'PY'
import cdk_serverless_patterns as package
assert "/site-packages/" in package.__file__, f"not the installed wheel: {package.__file__}"
print(f"cdk_serverless_patterns {package.__version__} from {package.__file__}")
PY

step "every README/docs block: mypy --strict, run, synthesized with every pack"
DOCS_SNIPPETS_ALL_PACKS=1 "$py" -m pytest -q -p no:cacheprovider tests/test_docs_snippets.py

step "mypy --strict on a user app (must pass) and a wrong option name (must fail)"
cp tests/fixtures/typing/user_app.py tests/fixtures/typing/wrong_option.py "$work/"
cd "$work"
"$py" -m mypy --strict user_app.py
if "$py" -m mypy --strict wrong_option.py >/dev/null; then
  echo "FAIL: a wrong option name passed mypy" >&2
  exit 1
fi

step "done"
echo "OK: $(basename "$wheel") from a clean clone of $commit, installed in a fresh virtualenv:" \
  "every README/docs block type-checks and synthesizes with zero findings; a wrong option fails mypy ($repo)"
