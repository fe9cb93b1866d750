#!/usr/bin/env bash
# `make demo`: start a 3-node emulated Redis Enterprise cluster, deploy the real sample module with
# playbooks/deploy.yml, run it again to show nothing changes, print the drift report, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=build/demo
rm -rf "$demo" && mkdir -p "$demo"
state="$demo/state"

python -m tests.emulator serve --cluster demo:3 --state-dir "$state" --ready-file "$demo/ready.json" \
  >"$demo/emulator.log" 2>&1 &
emulator_pid=$!
trap 'python -m tests.emulator stop --state-dir "$state" >/dev/null 2>&1 || kill "$emulator_pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  [ -s "$demo/ready.json" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$demo/emulator.log"; exit 1; }
  sleep 0.1
done
[ -s "$demo/ready.json" ] || { echo "the emulator did not start:"; cat "$demo/emulator.log"; exit 1; }

python -m tests.emulator inventory --state-dir "$state" >"$demo/inventory.yml"
package=${TESTMODULES_DIR:-build/testmodules}/hello-1.0.0.zip
[ -f "$package" ] || python tests/testmodules/build.py --out "$(dirname "$package")" >/dev/null
# The credentials come from the emulator's ready file, into a vars file only the demo reads.
python - "$demo" "$package" <<'PY'
import json, sys
demo, package = sys.argv[1], sys.argv[2]
ready = json.load(open(demo + "/ready.json"))
admin = next(u for u in ready["users"] if u["role"] == "admin")
with open(demo + "/vars.json", "w") as f:
    json.dump({
        "module_lifecycle_username": admin["username"],
        "module_lifecycle_password": admin["password"],
        "module_lifecycle_ca_path": ready["ca_file"],
        "module_lifecycle_allow_uploads": "temporary",
        "module_lifecycle_artifacts": [{"src": package}],
    }, f)
PY
export ANSIBLE_PYTHON_INTERPRETER="$(command -v python)"
export ANSIBLE_STDOUT_CALLBACK=default
# Deprecations shown whatever the user's configuration says; the demo fails on any (or on a warning) at its end.
export ANSIBLE_DEPRECATION_WARNINGS=true
: >"$demo/output.txt"
run() { ansible-playbook -i "$demo/inventory.yml" -e "@$demo/vars.json" "$@" 2>&1 | tee -a "$demo/output.txt"; }

echo "=== Cluster 'demo': $(python -c 'import json,sys; print(", ".join(n["name"] + " " + n["url"] for n in json.load(open(sys.argv[1]))["clusters"][0]["nodes"]))' "$demo/ready.json")"
echo "=== 1. Deploy hello 1.0.0: ansible-playbook redisops.custom_modules.deploy"
run redisops.custom_modules.deploy
echo "=== 2. Deploy again: nothing changes, and only read requests are sent"
before=$(wc -l <"$state/requests.jsonl")
run redisops.custom_modules.deploy | tee "$demo/second-run.txt"
writes=$(tail -n +"$((before + 1))" "$state/requests.jsonl" | python -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)["method"] != "GET"))')
grep -Eq 'changed=[1-9]' "$demo/second-run.txt" && { echo "demo: the second run changed something"; exit 1; }
echo "write requests during the second run: $writes"
[ "$writes" = 0 ] || { echo "demo: the second run sent write requests"; exit 1; }
echo "=== 3. Drift report: ansible-playbook redisops.custom_modules.status"
run redisops.custom_modules.status
if [ "${DEMO_REMOVE:-0}" = 1 ]; then
  # make compat: the removal path too, and its idempotence.
  echo "=== 4. Remove: ansible-playbook redisops.custom_modules.remove (twice)"
  run redisops.custom_modules.remove
  run redisops.custom_modules.remove | tee "$demo/second-remove.txt"
  grep -Eq 'changed=[1-9]' "$demo/second-remove.txt" && { echo "demo: the second removal changed something"; exit 1; }
  left=$(python -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["method"] == "DELETE"))' "$state/requests.jsonl")
  [ "$left" = 4 ] || { echo "demo: expected 4 DELETE requests (1 module object + 3 artifacts), saw $left"; exit 1; }
fi
if grep -E '\[(DEPRECATION WARNING|WARNING)\]' "$demo/output.txt"; then
  echo "demo: ansible-core printed the warnings above ($(ansible --version | head -1))"; exit 1
fi
echo "deprecation warnings and warnings: none ($(ansible --version | head -1))"
echo "=== Demo finished: the emulator is stopped; its request log is $state/requests.jsonl"
