# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: upload one large module package to the emulator, streamed vs naive.

    .venv/bin/python tests/bench/bench_upload.py [--size-mib 400] [--runs 3] [--keep]

Starts its own emulator (one node, on its own loopback address and a free port), builds a valid
package of the requested size (module.json + an ELF .so padded with random bytes, stored
uncompressed), then, for each method and run, uploads it from a fresh subprocess and records
that process's wall time, CPU time and peak RSS (getrusage ru_maxrss). Methods:

- client: Client.upload_artifact (the collection's streamed multipart body)
- naive:  requests.post(files={'module': ...}) (builds the whole body in memory)

Results go to tests/bench/results/upload-<UTC time>.json (git-ignored) and a table on stdout.
Not a test: `make test` does not run it.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, 'collections')
RESULTS = os.path.join(REPO, 'tests', 'bench', 'results')
ARTIFACTS = '/v2/local/modules/user-defined/artifacts'
MIB = 1024 * 1024
METHODS = ('client', 'naive')


def _import_path():
    link = os.path.join(COLLECTIONS, 'ansible_collections', 'redisops', 'custom_modules')
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(REPO, os.path.dirname(link)), link)
    for path in (COLLECTIONS, REPO):
        if path not in sys.path:
            sys.path.insert(0, path)


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- worker (one upload per process)

def worker(method, conn, zip_path):
    import requests  # imported before the baseline so the baseline includes the libraries
    _import_path()
    from ansible_collections.redisops.custom_modules.plugins.module_utils._client import Client

    baseline = _peak_rss_mib()
    cpu0 = _cpu_seconds()
    started = time.monotonic()
    if method == 'client':
        client = Client(conn['url'], conn['username'], conn['password'], ca_path=conn['ca_path'], timeout=300)
        client.upload_artifact(zip_path)
        status = 200
    else:
        with open(zip_path, 'rb') as handle:
            response = requests.post(conn['url'] + ARTIFACTS, auth=(conn['username'], conn['password']),
                                     verify=conn['ca_path'], timeout=300,
                                     files={'module': (os.path.basename(zip_path), handle, 'application/zip')})
        status = response.status_code
        if status != 200:
            raise SystemExit('naive upload failed: HTTP %d %s' % (status, response.text[:300]))
    wall = time.monotonic() - started
    print(json.dumps(dict(method=method, status=status, wall_s=round(wall, 3),
                          cpu_s=round(_cpu_seconds() - cpu0, 3),
                          baseline_rss_mib=round(baseline, 1), peak_rss_mib=round(_peak_rss_mib(), 1))))


# ---------------------------------------------------------------- set-up

def build_package(path, size):
    """A package the emulator accepts: module.json plus an x86_64 ELF .so padded to `size` bytes."""
    meta = {
        'module_name': 'benchmod', 'version': 10000, 'semantic_version': '1.0.0', 'display_name': 'benchmod',
        'commands': [], 'command_line_args': '', 'capabilities': [], 'min_redis_version': '7.0',
        'module_file': 'benchmod.so', 'architecture': 'x86_64', 'operating_systems': ['rhel9', 'ubuntu22'],
    }
    # ELF64, little endian, ET_DYN, EM_X86_64; the rest of the header is zero, then random padding
    header = b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) + struct.pack('<HHI', 3, 62, 1)
    header += bytes(64 - len(header))
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr('module.json', json.dumps(meta))
        with zf.open(zipfile.ZipInfo('benchmod.so'), 'w', force_zip64=True) as member:
            member.write(header)
            remaining = size - len(header)
            while remaining > 0:
                piece = os.urandom(min(remaining, 4 * MIB))
                member.write(piece)
                remaining -= len(piece)
    return meta


def _free_port(address):
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def start_emulator(state_dir, python):
    address_base = '127.0.77.10'
    port = _free_port('127.0.77.11')
    ready = os.path.join(state_dir, 'ready.json')
    log = open(os.path.join(state_dir, 'emulator.log'), 'wb')
    proc = subprocess.Popen([python, '-m', 'tests.emulator', 'serve', '--cluster', 'bench:1', '--state-dir', state_dir,
                             '--address-base', address_base, '--port', str(port)],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit('the emulator did not start; see %s' % log.name)
        time.sleep(0.1)
    time.sleep(0.2)  # the file is written atomically, but be gentle
    with open(ready) as handle:
        info = json.load(handle)
    return proc, info


def stop_emulator(proc, state_dir, python):
    subprocess.call([python, '-m', 'tests.emulator', 'stop', '--state-dir', state_dir], cwd=REPO)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size-mib', type=int, default=400)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--methods', default=','.join(METHODS))
    parser.add_argument('--keep', action='store_true', help='keep the work directory (package, emulator state)')
    parser.add_argument('--worker', choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument('--conn', help=argparse.SUPPRESS)
    parser.add_argument('--zip', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, json.loads(args.conn), args.zip)
        return

    _import_path()
    from ansible_collections.redisops.custom_modules.plugins.module_utils._client import Client

    python = sys.executable
    work = tempfile.mkdtemp(prefix='bench-upload-')
    state_dir = os.path.join(work, 'state')
    os.makedirs(state_dir)
    zip_path = os.path.join(work, 'benchmod-1.0.0.zip')
    print('building a %d MiB package in %s ...' % (args.size_mib, work), flush=True)
    meta = build_package(zip_path, args.size_mib * MIB)
    proc, info = start_emulator(state_dir, python)
    runs = []
    try:
        admin = next(u for u in info['users'] if u['role'] == 'admin')
        node = info['clusters'][0]['nodes'][0]
        conn = dict(url=node['url'], username=admin['username'], password=admin['password'], ca_path=info['ca_file'])
        setup = Client(conn['url'], conn['username'], conn['password'], ca_path=conn['ca_path'], timeout=120)
        setup.set_allow_modules_upload(True)
        for run in range(args.runs):
            for method in args.methods.split(','):
                for artifact in setup.list_artifacts():
                    if artifact['module_name'] == meta['module_name']:
                        setup.delete_artifact(artifact['module_name'], artifact['version'])
                started = time.monotonic()
                out = subprocess.check_output([python, os.path.abspath(__file__), '--worker', method,
                                               '--conn', json.dumps(conn), '--zip', zip_path], cwd=REPO)
                result = json.loads(out.decode().strip().splitlines()[-1])
                result.update(run=run + 1, process_wall_s=round(time.monotonic() - started, 3))
                runs.append(result)
                print('run %d %-6s wall %6.2f s  cpu %6.2f s  peak RSS %7.1f MiB (baseline %.1f)'
                      % (run + 1, method, result['wall_s'], result['cpu_s'], result['peak_rss_mib'],
                         result['baseline_rss_mib']), flush=True)
    finally:
        stop_emulator(proc, state_dir, python)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    summary = {}
    for method in args.methods.split(','):
        mine = [r for r in runs if r['method'] == method]
        summary[method] = dict(
            wall_s_median=round(statistics.median(r['wall_s'] for r in mine), 3),
            cpu_s_median=round(statistics.median(r['cpu_s'] for r in mine), 3),
            peak_rss_mib_max=max(r['peak_rss_mib'] for r in mine),
            peak_rss_over_baseline_mib_max=round(max(r['peak_rss_mib'] - r['baseline_rss_mib'] for r in mine), 1),
        )
    report = dict(
        benchmark='upload_artifact',
        time=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        size_mib=args.size_mib, runs=args.runs,
        python=platform.python_version(), machine=platform.machine(), cpus=os.cpu_count(),
        target='emulator, one node, HTTPS on loopback (the emulator streams the upload to disk and checks the zip)',
        summary=summary, results=runs,
    )
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, 'upload-%s.json' % report['time'].replace(':', ''))
    with open(path, 'w') as handle:
        json.dump(report, handle, indent=2)
    print('\n%-7s %12s %10s %16s' % ('method', 'wall median', 'cpu median', 'peak RSS (max)'))
    for method, row in summary.items():
        print('%-7s %10.2f s %8.2f s %12.1f MiB' % (method, row['wall_s_median'], row['cpu_s_median'], row['peak_rss_mib_max']))
    print('\nwritten to %s' % os.path.relpath(path, REPO))


if __name__ == '__main__':
    main()
