#!/usr/bin/env bash
# Run suites of this project's tests on one ansible-core line, in a virtualenv of its own.
#
#   .ci/core.sh X.Y SUITE...      SUITE: units, integration, molecule, sanity, demo
#
# The virtualenv is build/core/X.Y-pyA.B (A.B: the python3 that runs this script), with ansible-core X.Y.*,
# requirements.txt and the test tools. ansible-core 2.20 and later need Python 3.12+: run this script through
# .ci/newpy.sh then (make matrix and make test do). Prints "core X.Y SUITE: passed in N s" per suite and exits at the
# first failure. CORE_WORKERS sets pytest's workers (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
version=$1
shift
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv=build/core/$version-py$py
workers=${CORE_WORKERS:-1}

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "ansible-core==$version.*" -r requirements.txt \
  pytest pytest-xdist cryptography ramp-packer ansible-runner molecule
export PATH="$here/$venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$here/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false PYTHONDONTWRITEBYTECODE=1
# The test module packages, built by this Python's environment (its gcc and redis-server).
export TESTMODULES_DIR="$here/build/core/testmodules-py$py"
[ -e collections/ansible_collections/redisops/custom_modules ] || {
  mkdir -p collections/ansible_collections/redisops && ln -sfn ../../.. collections/ansible_collections/redisops/custom_modules; }
python tests/testmodules/build.py --out "$TESTMODULES_DIR"
echo "core $version: $(ansible --version | head -1), Python $(python --version | cut -d' ' -f2)"

sanity() {
  # ansible-test runs inside an ansible_collections/<ns>/<name> tree: a copy of the files git knows about.
  local tree=build/core/sanity-$version/ansible_collections/redisops/custom_modules
  local home=$here/build/core/home-$version
  rm -rf "build/core/sanity-$version" && mkdir -p "$tree" "$home/.ansible/test/cache"
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$tree"
  (cd "$tree" && git init -q && git add -A)
  # ansible-test bootstraps pip with a script from a host CI cannot reach: the stand-in does it with ensurepip.
  local pipver
  pipver=$(grep -o "pip='[0-9.]*'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | tr -dc '0-9.')
  cp .ci/get_pip_standin.py "$home/.ansible/test/cache/get_pip_${pipver//./_}.py"
  (cd "$tree" && HOME=$home ansible-test sanity --venv --python "$py" --color no)
}

for suite in "$@"; do
  start=$(date +%s)
  case "$suite" in
    units) python -m pytest -q -p no:cacheprovider -n "$workers" tests/unit ;;
    integration) python -m pytest -q -p no:cacheprovider -n "$workers" tests/integration ;;
    molecule) molecule test -s default ;;
    sanity) sanity ;;
    demo) DEMO_REMOVE=1 bash .ci/demo.sh ;;
    *) echo "core.sh: unknown suite $suite (units, integration, molecule, sanity, demo)"; exit 2 ;;
  esac
  echo "core $version $suite: passed in $(( $(date +%s) - start )) s"
done
