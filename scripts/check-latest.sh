#!/usr/bin/env bash
# Install the NEWEST release of every optional extra (openai, anthropic, google-genai, boto3, redis,
# ...) into a throwaway virtualenv, ignoring uv.lock, and run the provider-table tests against them:
# the drift tests (every exception class an SDK exports has a decision), the oracle tests (our
# decisions against the SDKs' own retry rules) and the classification tests. An SDK release is then
# noticed on purpose, before it reaches a user or a red CI.
#
# usage: scripts/check-latest.sh [--python PATH]...
#   --python PATH   interpreter for a venv (repeatable: one venv and report per Python). Default:
#                   python3. Never downloads a Python (UV_PYTHON_DOWNLOADS=never).
#
# Exit status: 0  the tests pass on the newest releases (newer-than-locked versions are listed:
#                 `uv lock --upgrade` when you are ready to adopt them)
#              1  drift: a test fails on the newest releases; missing/stale classes are named
#              2  setup error (no uv, an interpreter missing, an install that fails)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export UV_PYTHON_DOWNLOADS=never

pythons=()
while [ $# -gt 0 ]; do
    case "$1" in
        --python)
            [ $# -ge 2 ] || { echo "check-latest: --python needs a path" >&2; exit 2; }
            pythons+=("$2")
            shift 2
            ;;
        -h | --help)
            sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "check-latest: unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
    esac
done
[ ${#pythons[@]} -gt 0 ] || pythons=(python3)

command -v uv >/dev/null || { echo "check-latest: uv is not installed" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The test tools stay at the lock's versions (constraints): only the extras float to their newest.
uv export --project "$root" --frozen --only-group dev --no-emit-project --no-hashes --no-header \
    | grep -E '^(pytest|pytest-asyncio|pytest-timeout|hypothesis|freezegun)==' >"$work/tools.txt"

# Every test file about provider tables: drift, oracles, classification (new ones are picked up).
mapfile -t tests < <(cd "$root" && ls tests/unit/test_sdk_*.py tests/unit/test_classify_*.py)

# Prints each extra's packages as installed vs locked, and the exception classes the installed
# SDKs export without a decision (and stale entries), read from the drift test's own enumeration.
report_py=$(
    cat <<'PY'
import importlib.metadata as md
import re
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from packaging.markers import Marker
from packaging.requirements import Requirement

root = sys.argv[1]
with open(f"{root}/pyproject.toml", "rb") as f:
    extras = tomllib.load(f)["project"]["optional-dependencies"]
with open(f"{root}/uv.lock", "rb") as f:
    lock = tomllib.load(f)["package"]


def locked(name):
    """The locked version of *name* for this Python (uv.lock may hold one per Python range)."""
    for pkg in lock:
        if pkg["name"] != name:
            continue
        markers = pkg.get("resolution-markers")
        if not markers or any(Marker(m).evaluate() for m in markers):
            return pkg["version"]
    return None


def canon(name):
    return re.sub(r"[-_.]+", "-", name).lower()


newer = 0
print(f"  {'extra':<12} {'package':<22} {'newest':<12} locked")
for extra, reqs in extras.items():
    for raw in reqs:
        req = Requirement(raw)
        if canon(req.name) == "llm-resilience-kit":
            continue
        name = canon(req.name)
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = "-"
        pinned = locked(name) or "-"
        mark = "" if installed == pinned else "   <- newer than the lock"
        newer += bool(mark)
        print(f"  {extra:<12} {name:<22} {installed:<12} {pinned}{mark}")

sys.path.insert(0, root)
try:
    from tests.unit import test_sdk_drift as drift
except Exception as exc:  # the drift module itself may not import on a new SDK
    print(f"  drift enumeration failed to import: {type(exc).__name__}: {exc}")
    sys.exit(3)
for sdk, classes, table in (
    ("openai", drift.OPENAI_CLASSES, drift._openai.DECISIONS),
    ("anthropic", drift.ANTHROPIC_CLASSES, drift._anthropic_table.DECISIONS),
):
    missing = sorted(set(classes) - set(table))
    stale = sorted(set(table) - set(classes))
    print(f"  {sdk}: {len(classes)} exception classes, {len(missing)} without a decision,"
          f" {len(stale)} stale entries")
    for name in missing:
        print(f"    new class without a decision: {name} ({classes[name].__module__})")
    for name in stale:
        print(f"    stale entry (no longer exported): {name}")
sys.exit(4 if newer else 0)
PY
)

status=0
summary=()
for py in "${pythons[@]}"; do
    venv="$work/venv-${#summary[@]}"
    echo "=== $py"
    if ! uv venv -q --python "$py" "$venv"; then
        echo "check-latest: cannot create a venv with $py" >&2
        exit 2
    fi
    version="$("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
    # --refresh: ask the index again instead of trusting cached metadata for "newest".
    if ! uv pip install -q --refresh --python "$venv/bin/python" \
        -e "$root[all]" httpx requests pytest pytest-asyncio pytest-timeout hypothesis freezegun \
        -c "$work/tools.txt"; then
        echo "check-latest: installing the newest releases failed on Python $version" >&2
        exit 2
    fi
    echo "--- Python $version: newest releases"
    set +e
    (cd "$root" && "$venv/bin/python" - "$root" <<<"$report_py")
    report=$?
    echo "--- Python $version: ${#tests[@]} provider-table test files"
    (cd "$root" && "$venv/bin/python" -m pytest -q --tb=short -rf --no-header "${tests[@]}" \
        >"$work/pytest.log" 2>&1)
    tested=$?
    set -e
    grep -vE '^[.sxFE]+ +\[ *[0-9]+%\]$' "$work/pytest.log" || true
    result="$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$work/pytest.log" | tail -1)"
    if [ "$tested" -ne 0 ] || [ "$report" -eq 3 ]; then
        status=1
        summary+=("Python $version: DRIFT ($result)")
    elif [ "$report" -eq 4 ]; then
        summary+=("Python $version: ok, but the lock is behind the newest releases ($result)")
    else
        summary+=("Python $version: ok, the lock has the newest releases ($result)")
    fi
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
if [ "$status" -ne 0 ]; then
    echo "Drift: decide the named classes in the provider tables (README 'Provider decision table')," \
        "then lock the new releases (uv lock --upgrade-package NAME)."
fi
exit "$status"
