#!/usr/bin/env python
# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ansible-playbook and report what the emulator received meanwhile (molecule helper).

Usage: run_playbook.py STATE_DIR ansible-playbook-arguments...
Prints JSON: rc, output (the end of stdout+stderr), recap (host -> counters), requests (the lines
the run added to STATE_DIR/requests.jsonl), writes (those that are not GET).
"""

import json
import os
import re
import subprocess
import sys


def log_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return handle.readlines()


def main():
    state_dir, args = sys.argv[1], sys.argv[2:]
    log = os.path.join(state_dir, "requests.jsonl")
    before = len(log_lines(log))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([playbook] + args, env=env, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    requests = [json.loads(line) for line in log_lines(log)[before:] if line.strip()]
    recap = {}
    for match in re.finditer(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output, re.M):
        recap[match.group(1)] = dict(ok=int(match.group(2)), changed=int(match.group(3)),
                                     unreachable=int(match.group(4)), failed=int(match.group(5)))
    json.dump(dict(rc=proc.returncode, output=output[-12000:], recap=recap, requests=requests,
                   writes=[r for r in requests if r.get("method") != "GET"],
                   changed=sum(v["changed"] for v in recap.values())), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
