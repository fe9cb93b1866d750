# Copyright: redisops.custom_modules contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the module_lifecycle role at fleet scale, against a naive uri playbook, and a large upload.

    .venv/bin/python tests/bench/bench_fleet.py [--only fleet,uri,upload] [--runs 3] [--forks 20]
                                                [--collection PATH] [--clusters 10 --nodes 10] [--size-mib 400]

Everything runs through ansible-playbook against this checkout's emulator (tests/emulator), with
TLS verified against the emulator's CA. Pieces (--only, comma separated; default all three):

- fleet:  CLUSTERS x NODES nodes (default 10 x 10), forks FORKS: the collection's playbooks/deploy.yml
          (the role) with the emulator's inventory. Per run, on a fresh emulator: first deploy,
          idempotent re-run, then the same playbook with --check (on the deployed fleet). Wall
          seconds and request counts from the emulator's request log.
- uri:    3 nodes: idempotent re-run of the role vs a naive ansible.builtin.uri playbook (module
          object POST tolerating 409 "exists", upload to every node with form-multipart), in
          alternation.
- upload: one SIZE MiB package (the real test module's .so followed by seeded random padding, a
          stored zip64) through redis_module_artifact, vs Ansible's floor (one trivial uri task)
          and curl uploading the same file to the same node; peak RSS of the module's process tree.
- scale:  the fleet at two sizes in one run, CLUSTERS x NODES and SCALE_CLUSTERS x SCALE_NODES (default
          100 x 10, 1,000 nodes): per size a fresh emulator, the floor, the first deploy and the no-op
          re-run, their requests and the controller's peak memory (ansible-playbook and its workers);
          the large size's times as a multiple of the small size's (the goal: no more than the ratio of
          node counts).

Absolute seconds differ from machine to machine, so every time is also given as a ratio to a floor
measured in the same run, on the same hosts with the same forks: F = `ansible -m ansible.builtin.ping`
on every host of the fleet (what one module process per host costs).

--collection (or REDISOPS_BENCH_COLLECTION) is the checkout whose role, playbooks and plugins are
measured (default: this one), so "before" and "after" run on the same machine with the same
emulator. The table shows each figure next to its target (issues 7 and 19). The benchmark asserts
nothing (exit 0 even when a target is missed; --strict exits 1 then); it exits 2 when a playbook
fails, because a failed run measures nothing. Results: tests/bench/results/fleet-<UTC time>.json.
"""

import argparse
import datetime
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(REPO, 'tests', 'bench', 'results')
TESTMODULES = os.path.join(REPO, 'build', 'testmodules')
ARTIFACTS = '/v2/local/modules/user-defined/artifacts'
MIB = 1024 * 1024
PIECES = ('fleet', 'uri', 'upload', 'scale')
CALLBACKS = os.path.join(REPO, 'tests', 'bench', 'callback_plugins')

TARGETS = dict(first_deploy_f=2.0, rerun_f=0.35, check_f=0.35, uri_ratio=0.7, upload_peak_mib=100.0, curl_factor=1.3)


class BenchError(Exception):
    """A run failed: the benchmark cannot measure anything meaningful."""


def load():
    return '%.2f %.2f %.2f' % os.getloadavg()


# ---------------------------------------------------------------- emulator

class Emulator(object):
    """This checkout's emulator in a subprocess, on loopback addresses of its own."""

    def __init__(self, work, clusters):
        self.state_dir = os.path.join(work, 'state')
        self.clusters = clusters
        rng = random.Random()
        self.address_base = '127.%d.%d.10' % (rng.randint(1, 250), rng.randint(0, 255 - len(clusters)))
        self.port = rng.randint(20000, 60000)
        self.proc = None
        self.ready = None

    def start(self):
        os.makedirs(self.state_dir, exist_ok=True)
        cmd = [sys.executable, '-m', 'tests.emulator', 'serve', '--state-dir', self.state_dir,
               '--address-base', self.address_base, '--port', str(self.port)]
        for name, count in self.clusters:
            cmd += ['--cluster', '%s:%d' % (name, count)]
        ready_path = os.path.join(self.state_dir, 'ready.json')
        started = time.monotonic()
        with open(os.path.join(self.state_dir, 'emulator.log'), 'ab') as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        while True:
            try:
                with open(ready_path) as handle:
                    ready = json.load(handle)
                if ready.get('pid') == self.proc.pid:
                    break
            except (OSError, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() - started > 60:
                self.stop()
                raise BenchError('the emulator did not start; see %s/emulator.log' % self.state_dir)
            time.sleep(0.05)
        self.ready = ready
        self.startup_s = time.monotonic() - started
        self.admin = next(u for u in ready['users'] if u['role'] == 'admin')
        return self

    def cpu_s(self):
        """CPU seconds (user + system, every thread) the emulator has used so far."""
        return process_cpu_s(self.proc.pid)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def nodes(self):
        return [n for c in self.ready['clusters'] for n in c['nodes']]

    def api(self, method, node, path, **kwargs):
        response = requests.request(method, node['url'] + path, auth=(self.admin['username'], self.admin['password']),
                                    verify=self.ready['ca_file'], timeout=120, **kwargs)
        if response.status_code not in (200, 201):
            raise BenchError('%s %s on %s: HTTP %d %s' % (method, path, node['name'], response.status_code, response.text[:300]))
        return response.json() if response.text.strip() else None

    def allow_uploads(self):
        for cluster in self.ready['clusters']:
            self.api('PUT', cluster['nodes'][0], '/v1/cluster', json={'allow_modules_upload': True})

    def inventory(self, path):
        with open(path, 'w') as handle:
            subprocess.check_call([sys.executable, '-m', 'tests.emulator', 'inventory', '--state-dir', self.state_dir],
                                  cwd=REPO, stdout=handle)
        return path

    def log_mark(self):
        try:
            with open(os.path.join(self.state_dir, 'requests.jsonl'), 'rb') as handle:
                return sum(1 for _line in handle)
        except OSError:
            return 0

    def requests_since(self, mark):
        with open(os.path.join(self.state_dir, 'requests.jsonl')) as handle:
            lines = handle.readlines()[mark:]
        return [json.loads(line) for line in lines if line.strip()]


def proc_stat(pid):
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), as bytes; None when it is gone."""
    try:
        with open('/proc/%s/stat' % pid, 'rb') as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat[stat.rindex(b')') + 2:].split() if stat else None


def process_cpu_s(pid):
    """utime + stime of a running process, in seconds (0.0 when it cannot be read)."""
    fields = proc_stat(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))


class CPU(object):
    """CPU seconds of a step: the ansible process tree (waited children) and the emulator, measured apart.

    On a machine with few cores both share the CPUs, so the wall time of a run depends on the emulator's cost too;
    these figures tell the two apart (a real cluster does its share of the work on its own machines).
    """

    def __init__(self, emu):
        self.emu = emu
        self.children = self._children()
        self.emu_before = emu.cpu_s()

    @staticmethod
    def _children():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def done(self):
        return dict(ansible_cpu_s=round(self._children() - self.children, 2),
                    emulator_cpu_s=round(self.emu.cpu_s() - self.emu_before, 2))


def cpu_text(figures):
    return 'cpu: ansible %.1f s, emulator %.1f s' % (figures['ansible_cpu_s'], figures['emulator_cpu_s'])


def count_requests(entries):
    return dict(requests=len(entries), gets=sum(1 for e in entries if e['method'] == 'GET'),
                writes=sum(1 for e in entries if e['method'] != 'GET'))


# ---------------------------------------------------------------- ansible-playbook

class Ansible(object):
    """ansible-playbook with the measured collection, forks FORKS, in a work directory."""

    def __init__(self, work, collection, forks):
        self.work = work
        collections = os.path.join(work, 'collections')
        link = os.path.join(collections, 'ansible_collections', 'redisops', 'custom_modules')
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(collection, link)
        bindir = os.path.dirname(sys.executable)
        self.playbook_bin = os.path.join(bindir, 'ansible-playbook')
        self.env = dict(os.environ)
        for key in list(self.env):
            if key.startswith('ANSIBLE_'):
                del self.env[key]
        self.env.update(
            PATH=bindir + os.pathsep + os.environ.get('PATH', ''),
            ANSIBLE_COLLECTIONS_PATH=collections,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
            ANSIBLE_FORKS=str(forks),
            ANSIBLE_HOME=os.path.join(work, 'ansible-home'),
            ANSIBLE_LOCAL_TEMP=os.path.join(work, 'ansible-tmp'),
            ANSIBLE_RETRY_FILES_ENABLED='false',
            ANSIBLE_STDOUT_CALLBACK='default',
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
            ANSIBLE_CALLBACKS_ENABLED='bench_task_times',
        )
        self.ansible_bin = os.path.join(bindir, 'ansible')
        self.count = 0

    def floor(self, inventory, watch=None):
        """F: wall seconds of `ansible -m ansible.builtin.ping` on every host of the inventory, with the same forks."""
        self.count += 1
        log_path = os.path.join(self.work, 'run-%02d-floor.log' % self.count)
        with open(log_path, 'wb') as log:
            started = time.monotonic()
            proc = subprocess.Popen([self.ansible_bin, 'all', '-i', inventory, '-m', 'ansible.builtin.ping'], cwd=self.work,
                                    env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            watcher = watch(proc.pid) if watch else None
            proc.wait()
            wall = time.monotonic() - started
            if watcher:
                watcher.stop()
        if proc.returncode != 0:
            raise BenchError('floor: ansible ping exited with %d; see %s' % (proc.returncode, log_path))
        return round(wall, 2)

    def run(self, label, playbook, inventory, extra_vars_file, args=(), watch=None):
        """Run a playbook; returns wall seconds and the PLAY RECAP totals. Raises BenchError when it fails."""
        self.count += 1
        log_path = os.path.join(self.work, 'run-%02d-%s.log' % (self.count, label))
        cmd = [self.playbook_bin, '-i', inventory, '-e', '@' + extra_vars_file] + list(args) + [playbook]
        times_path = log_path[:-4] + '-tasks.json'
        env = dict(self.env, BENCH_TASK_TIMES=times_path)
        with open(log_path, 'wb') as log:
            started = time.monotonic()
            proc = subprocess.Popen(cmd, cwd=self.work, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            watcher = watch(proc.pid) if watch else None
            proc.wait()
            wall = time.monotonic() - started
            if watcher:
                watcher.stop()
        with open(log_path, errors='replace') as handle:
            text = handle.read()
        if proc.returncode != 0:
            raise BenchError('%s: ansible-playbook exited with %d; see %s' % (label, proc.returncode, log_path))
        return dict(wall_s=round(wall, 2), recap=recap(text), log=log_path, slowest=slowest_tasks(times_path))


def slowest_tasks(path, count=6):
    """The slowest tasks of a run (bench_task_times callback): ``[[seconds, name, results]]``."""
    try:
        with open(path) as handle:
            tasks = json.load(handle)['tasks']
    except (OSError, ValueError, KeyError):
        return []
    tasks.sort(key=lambda task: -task['seconds'])
    return [[task['seconds'], task['name'].split(' : ', 1)[-1][:70], task['results']] for task in tasks[:count]]


def recap(text):
    """Totals of the PLAY RECAP: ok, changed, failed, ... summed over hosts."""
    totals = {}
    seen = False
    for line in text.splitlines():
        if line.startswith('PLAY RECAP'):
            seen = True
            totals = {}
            continue
        if seen and ' : ' in line:
            for field in line.split(' : ', 1)[1].split():
                key, _sep, value = field.partition('=')
                if value.isdigit():
                    totals[key] = totals.get(key, 0) + int(value)
    return totals


def write_private_json(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(data, handle)
    return path


def role_vars(work, emu, package, serial=0):
    """The vars file of a deploy; ``serial``: the batch size (playbooks/deploy.yml's module_lifecycle_serial), 0 for all at once."""
    data = {
        'module_lifecycle_username': emu.admin['username'],
        'module_lifecycle_password': emu.admin['password'],
        'module_lifecycle_ca_path': emu.ready['ca_file'],
        'module_lifecycle_allow_uploads': 'temporary',
        'module_lifecycle_artifacts': [{'src': package}],
    }
    if serial:
        data['module_lifecycle_serial'] = serial
    return write_private_json(os.path.join(work, 'role-vars.json'), data)


def small_package():
    path = os.path.join(TESTMODULES, 'hello-1.0.0.zip')
    if not os.path.exists(path):
        raise BenchError('%s is missing: run `make testmodules` first' % path)
    return path


# ---------------------------------------------------------------- piece: fleet

def bench_fleet(args, collection, out):
    clusters = [('c%d' % (k + 1), args.nodes) for k in range(args.clusters)]
    playbook = os.path.join(collection, 'playbooks', 'deploy.yml')
    runs = []
    for run in range(args.runs):
        work = tempfile.mkdtemp(prefix='bench-fleet-')
        emu = Emulator(work, clusters).start()
        try:
            ansible = Ansible(work, collection, args.forks)
            inventory = emu.inventory(os.path.join(work, 'inventory.yml'))
            extra = role_vars(work, emu, small_package())
            row = dict(run=run + 1, emulator_startup_s=round(emu.startup_s, 2), load_before=load())
            cpu = CPU(emu)
            row['floor_s'] = ansible.floor(inventory)
            row['floor_cpu'] = cpu.done()
            print('fleet run %d floor %7.1f s  (ansible -m ping, %d hosts, forks %d)  %s  load %s'
                  % (run + 1, row['floor_s'], len(emu.nodes), args.forks, cpu_text(row['floor_cpu']), load()), flush=True)
            for step, extra_args in (('first', ()), ('rerun', ()), ('check', ('--check',))):
                mark = emu.log_mark()
                cpu = CPU(emu)
                result = ansible.run('fleet-%s' % step, playbook, inventory, extra, extra_args)
                result.update(cpu.done())
                result.update(count_requests(emu.requests_since(mark)))
                row[step] = result
                print('fleet run %d %-5s %7.1f s = %.2f F  %5d requests (%d GETs, %d writes)  changed=%s  %s  load %s'
                      % (run + 1, step, result['wall_s'], result['wall_s'] / row['floor_s'], result['requests'],
                         result['gets'], result['writes'], result['recap'].get('changed'), cpu_text(result), load()),
                      flush=True)
                for seconds, name, results in result['slowest']:
                    print('    %6.2f s  %-70s %s' % (seconds, name, results), flush=True)
            # The floor again after the playbooks: a shared machine's speed drifts within a run, and F is the mean of
            # the two, so a slow (or fast) moment at the start does not skew every ratio of the run.
            cpu = CPU(emu)
            row['floor_first_s'] = row['floor_s']
            row['floor_last_s'] = ansible.floor(inventory)
            row['floor_last_cpu'] = cpu.done()
            row['floor_s'] = round((row['floor_first_s'] + row['floor_last_s']) / 2.0, 2)
            print('fleet run %d floor %7.1f s again  %s;  F = %.1f s (mean): %s'
                  % (run + 1, row['floor_last_s'], cpu_text(row['floor_last_cpu']), row['floor_s'],
                     ', '.join('%s %.2f F' % (step, row[step]['wall_s'] / row['floor_s'])
                               for step in ('first', 'rerun', 'check'))), flush=True)
            runs.append(row)
        finally:
            emu.stop()
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    out['fleet'] = dict(clusters=args.clusters, nodes_per_cluster=args.nodes, runs=runs)


# ---------------------------------------------------------------- piece: uri (role vs naive)

NAIVE_PLAYBOOK = '''---
# What a user might write without the role: re-post the module object (409 "exists" is fine) and
# upload the package to every node, on every run.
# The upload sends a multipart body prepared once (naive_body) with uri's src: uri's own
# body_format form-multipart cannot send a zip intact (its default encoding, base64, is not
# decoded by the server; with 7or8bit, email's generator turns every LF of the binary into CRLF).
- name: Naive deploy with ansible.builtin.uri
  hosts: all
  gather_facts: false
  tasks:
    - name: Create the module object
      ansible.builtin.uri:
        url: "{{ module_lifecycle_node_url }}/v2/modules/user-defined"
        method: POST
        url_username: "{{ naive_username }}"
        url_password: "{{ naive_password }}"
        force_basic_auth: true
        ca_path: "{{ naive_ca_path }}"
        body_format: json
        body: "{{ naive_module_object }}"
        status_code: [200, 201, 409]
      run_once: true
    - name: Upload the package to every node
      ansible.builtin.uri:
        url: "{{ module_lifecycle_node_url }}/v2/local/modules/user-defined/artifacts"
        method: POST
        url_username: "{{ naive_username }}"
        url_password: "{{ naive_password }}"
        force_basic_auth: true
        ca_path: "{{ naive_ca_path }}"
        src: "{{ naive_body }}"
        headers:
          Content-Type: "{{ naive_content_type }}"
        status_code: [200, 201]
'''


def multipart_body(package, path):
    """The multipart/form-data body of one upload (field module), written to path; returns its Content-Type."""
    boundary = 'bench%016x' % random.getrandbits(64)
    with open(package, 'rb') as src, open(path, 'wb') as out:
        out.write(('--%s\r\nContent-Disposition: form-data; name="module"; filename="%s"\r\n'
                   'Content-Type: application/zip\r\n\r\n' % (boundary, os.path.basename(package))).encode())
        shutil.copyfileobj(src, out)
        out.write(('\r\n--%s--\r\n' % boundary).encode())
    return 'multipart/form-data; boundary=%s' % boundary


def bench_uri(args, collection, out):
    work = tempfile.mkdtemp(prefix='bench-uri-')
    emu = Emulator(work, [('c1', 3)]).start()
    try:
        ansible = Ansible(work, collection, args.forks)
        inventory = emu.inventory(os.path.join(work, 'inventory.yml'))
        package = small_package()
        extra = role_vars(work, emu, package)
        with zipfile.ZipFile(package) as zf:
            module_object = json.loads(zf.read('module.json'))
        body = os.path.join(work, 'naive-body.multipart')
        naive_vars = write_private_json(os.path.join(work, 'naive-vars.json'), {
            'naive_username': emu.admin['username'], 'naive_password': emu.admin['password'],
            'naive_ca_path': emu.ready['ca_file'], 'naive_module_object': module_object,
            'naive_body': body, 'naive_content_type': multipart_body(package, body)})
        naive = os.path.join(work, 'naive.yml')
        with open(naive, 'w') as handle:
            handle.write(NAIVE_PLAYBOOK)
        playbook = os.path.join(collection, 'playbooks', 'deploy.yml')
        emu.allow_uploads()  # both playbooks find uploads allowed; the role's "temporary" leaves it so
        ansible.run('uri-deploy', playbook, inventory, extra)  # not timed: the role's re-runs are
        runs = []
        for run in range(args.runs):
            row = dict(run=run + 1, load_before=load())
            for kind, book, extra_file in (('role', playbook, extra), ('naive', naive, naive_vars)):
                mark = emu.log_mark()
                result = ansible.run('uri-%s' % kind, book, inventory, extra_file)
                result.update(count_requests(emu.requests_since(mark)))
                row[kind] = result
                print('uri run %d %-5s %6.1f s  %3d requests (%d writes)  load %s'
                      % (run + 1, kind, result['wall_s'], result['requests'], result['writes'], load()), flush=True)
            runs.append(row)
        out['uri'] = dict(nodes=3, runs=runs)
    finally:
        emu.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- piece: upload

def build_large_package(source, path, size, seed=7):
    """A stored zip64: the source package's module.json, and its .so followed by seeded random
    padding up to `size` bytes (the module still loads: the padding is after the ELF's contents)."""
    with zipfile.ZipFile(source) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    so_name = next(name for name in members if name.endswith('.so'))
    rng = random.Random(seed)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED, allowZip64=True) as out:
        for name, data in members.items():
            if name != so_name:
                out.writestr(name, data)
        info = zipfile.ZipInfo(so_name, date_time=(2026, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = 0o100755 << 16
        with out.open(info, 'w', force_zip64=True) as member:
            member.write(members[so_name])
            remaining = size - len(members[so_name])
            while remaining > 0:
                piece = rng.randbytes(min(remaining, MIB))
                member.write(piece)
                remaining -= len(piece)
    return path


class _Sampler(object):
    """Calls ``_sample()`` every ``interval`` seconds in a thread of its own, from construction until ``stop()``."""

    def __init__(self, interval):
        self.interval = interval
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self):
        raise NotImplementedError

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self.thread.join()


def proc_parents():
    """``{pid: parent pid}`` of every process running now."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = proc_stat(entry)
            if fields:
                parents[int(entry)] = int(fields[1])
    return parents


def descendants(parents, roots):
    """The pids of ``roots`` and of every process under them, from a ``proc_parents()`` map."""
    tree = set(roots)
    grew = True
    while grew:
        more = set(pid for pid, parent in parents.items() if parent in tree and pid not in tree)
        tree |= more
        grew = bool(more)
    return tree


def read_proc(path, mode='rb'):
    """The content of a /proc file, or None once the process is gone."""
    try:
        with open(path, mode) as handle:
            return handle.read()
    except OSError:
        return None


def proc_kib(path, field):
    """The kB figure of the line starting with ``field`` (``VmHWM:``, ``Pss:``) in a /proc file; 0 when it cannot be read."""
    for line in (read_proc(path, 'r') or '').splitlines():
        if line.startswith(field):
            try:
                return int(line.split()[1])
            except (IndexError, ValueError):
                return 0
    return 0


class TreePeakRSS(_Sampler):
    """Samples /proc for the module processes under a pid (cmdline with AnsiballZ_<module>) and
    their children; peak = the largest sum of their VmHWM (each process's own peak RSS)."""

    def __init__(self, root_pid, marker, interval=0.02):
        self.root_pid = root_pid
        self.marker = marker.encode()
        self.peak_kib = 0
        self.hwm = {}
        super(TreePeakRSS, self).__init__(interval)

    def _sample(self):
        parents = proc_parents()
        modules = [pid for pid in descendants(parents, [self.root_pid])
                   if self.marker in (read_proc('/proc/%d/cmdline' % pid) or b'')]
        tree = descendants(parents, modules)
        for pid in tree:
            self.hwm[pid] = max(self.hwm.get(pid, 0), proc_kib('/proc/%d/status' % pid, 'VmHWM:'))
        if tree:
            self.peak_kib = max(self.peak_kib, sum(self.hwm.get(pid, 0) for pid in tree))

    @property
    def peak_mib(self):
        return round(self.peak_kib / 1024.0, 1)


class Sampled(object):
    """A ``watch`` for ``Ansible.floor``/``Ansible.run``: starts ``sampler(pid, *args)`` on the process and keeps it
    (``.sampler``) for its figures once the run is over."""

    def __init__(self, kind, *args):
        self.kind = kind
        self.args = args
        self.sampler = None

    def __call__(self, pid):
        self.sampler = self.kind(pid, *self.args)
        return self.sampler


class ControllerRSS(_Sampler):
    """The controller's memory during a playbook: samples ansible-playbook (``root_pid``) and its workers;
    ``peak_mib`` is the largest sum of their proportional set sizes (Pss: a page shared by forked workers counts once
    in all) at one sample, ``main_mib`` the main process's own peak resident size (VmHWM)."""

    def __init__(self, root_pid, interval=0.2):
        self.root_pid = root_pid
        self.peak_kib = 0
        self.main_kib = 0
        super(ControllerRSS, self).__init__(interval)

    def _sample(self):
        tree = descendants(proc_parents(), [self.root_pid])
        self.peak_kib = max(self.peak_kib, sum(proc_kib('/proc/%d/smaps_rollup' % pid, 'Pss:') for pid in tree))
        self.main_kib = max(self.main_kib, proc_kib('/proc/%d/status' % self.root_pid, 'VmHWM:'))

    @property
    def peak_mib(self):
        return round(self.peak_kib / 1024.0, 1)

    @property
    def main_mib(self):
        return round(self.main_kib / 1024.0, 1)


BARE_PLAYBOOK = '''---
- name: Ansible's own cost of a task on every host, no module process
  hosts: all
  gather_facts: false
  tasks:
    - name: One debug task
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}"
'''

FLOOR_PLAYBOOK = '''---
- name: Ansible's floor, one trivial task
  hosts: all
  gather_facts: false
  tasks:
    - name: Read the cluster object
      ansible.builtin.uri:
        url: "{{ bench_url }}/v1/cluster"
        url_username: "{{ bench_username }}"
        url_password: "{{ bench_password }}"
        force_basic_auth: true
        ca_path: "{{ bench_ca_path }}"
'''

ARTIFACT_PLAYBOOK = '''---
- name: One large package through redis_module_artifact
  hosts: all
  gather_facts: false
  tasks:
    - name: Upload the package
      redisops.custom_modules.redis_module_artifact:
        url: "{{ bench_url }}"
        username: "{{ bench_username }}"
        password: "{{ bench_password }}"
        ca_path: "{{ bench_ca_path }}"
        src: "{{ bench_package }}"
        timeout: 300
'''


def bench_upload(args, collection, out):
    work = tempfile.mkdtemp(prefix='bench-upload-')
    emu = Emulator(work, [('big', 1)]).start()
    try:
        ansible = Ansible(work, collection, args.forks)
        node = emu.nodes[0]
        package = os.path.join(work, 'hello-1.0.0-%dmib.zip' % args.size_mib)
        started = time.monotonic()
        build_large_package(small_package(), package, args.size_mib * MIB)
        print('upload: built a %d MiB package in %.1f s' % (args.size_mib, time.monotonic() - started), flush=True)
        with zipfile.ZipFile(package) as zf:
            meta = json.loads(zf.read('module.json'))
        inventory = os.path.join(work, 'inventory.yml')
        with open(inventory, 'w') as handle:
            handle.write('all:\n  hosts:\n    %s:\n      ansible_connection: local\n' % node['name'])
        extra = write_private_json(os.path.join(work, 'upload-vars.json'), {
            'bench_url': node['url'], 'bench_username': emu.admin['username'], 'bench_password': emu.admin['password'],
            'bench_ca_path': emu.ready['ca_file'], 'bench_package': package})
        floor_book = os.path.join(work, 'floor.yml')
        artifact_book = os.path.join(work, 'artifact.yml')
        for path, text in ((floor_book, FLOOR_PLAYBOOK), (artifact_book, ARTIFACT_PLAYBOOK)):
            with open(path, 'w') as handle:
                handle.write(text)
        # curl reads the credentials from a config file only this user can read (not from its argv)
        curl_config = os.path.join(work, 'curl.conf')
        fd = os.open(curl_config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            credentials = '%s:%s' % (emu.admin['username'], emu.admin['password'])
            handle.write('user = "%s"\n' % credentials.replace('\\', '\\\\').replace('"', '\\"'))
        emu.allow_uploads()

        def remove_artifact():
            listed = emu.api('GET', node, ARTIFACTS) or []
            if any(a['module_name'] == meta['module_name'] and int(a['version']) == int(meta['version']) for a in listed):
                emu.api('DELETE', node, '%s/%s/%d' % (ARTIFACTS, meta['module_name'], int(meta['version'])))

        runs = []
        for run in range(args.runs):
            row = dict(run=run + 1, load_before=load())
            row['floor'] = ansible.run('upload-floor', floor_book, inventory, extra)
            remove_artifact()
            started = time.monotonic()
            curl = subprocess.run(['curl', '-sS', '--cacert', emu.ready['ca_file'], '-K', curl_config,
                                   '-F', 'module=@%s;type=application/zip' % package, '-o', os.devnull,
                                   '-w', '%{http_code}', node['url'] + ARTIFACTS],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
            row['curl'] = dict(wall_s=round(time.monotonic() - started, 2), status=curl.stdout.decode().strip())
            if curl.returncode != 0 or row['curl']['status'] != '200':
                raise BenchError('curl upload failed: exit %d, HTTP %s, %s' % (curl.returncode, row['curl']['status'],
                                                                               curl.stderr.decode(errors='replace')[:300]))
            remove_artifact()
            watch = Sampled(TreePeakRSS, 'AnsiballZ_redis_module_artifact')
            mark = emu.log_mark()
            result = ansible.run('upload-module', artifact_book, inventory, extra, watch=watch)
            result.update(count_requests(emu.requests_since(mark)))
            result['peak_rss_mib'] = watch.sampler.peak_mib
            if result['recap'].get('changed') != 1 or result['writes'] != 1:
                raise BenchError('the module did not upload the package once (changed=%s, writes=%d); see %s'
                                 % (result['recap'].get('changed'), result['writes'], result['log']))
            row['module'] = result
            print('upload run %d: floor %.2f s, curl %.2f s, module %.2f s (peak RSS %.1f MiB)  load %s'
                  % (run + 1, row['floor']['wall_s'], row['curl']['wall_s'], result['wall_s'], result['peak_rss_mib'],
                     load()), flush=True)
            runs.append(row)
        out['upload'] = dict(size_mib=args.size_mib, runs=runs)
    finally:
        emu.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- piece: scale

def bench_scale(args, collection, out):
    """The fleet at two sizes in one run: the small one (CLUSTERS x NODES) and the large one; with --scale-serial,
    the large one again in serial batches (its floor and bare play are the large one's: same hosts, same run)."""
    playbook = os.path.join(collection, 'playbooks', 'deploy.yml')
    sizes = []
    plan = [(args.clusters, args.nodes, 0), (args.scale_clusters, args.scale_nodes, 0)]  # serial 0: all at once
    if args.scale_serial:
        plan.append((args.scale_clusters, args.scale_nodes, args.scale_serial))
    for clusters, nodes, serial in plan:
        work = tempfile.mkdtemp(prefix='bench-scale-')
        emu = Emulator(work, [('c%d' % (k + 1), nodes) for k in range(clusters)]).start()
        try:
            ansible = Ansible(work, collection, args.forks)
            inventory = emu.inventory(os.path.join(work, 'inventory.yml'))
            extra = role_vars(work, emu, small_package(), serial=serial)
            row = dict(clusters=clusters, nodes_per_cluster=nodes, nodes=len(emu.nodes), load_before=load(),
                       emulator_startup_s=round(emu.startup_s, 2), serial=serial)
            name = '%d x %d%s' % (clusters, nodes, ' serial %d' % serial if serial else '')
            if serial:
                row.update(floor_s=sizes[1]['floor_s'], bare=sizes[1]['bare'])
            else:
                measure_floor(emu, ansible, inventory, extra, row, name, work)
            for step in ('first', 'rerun'):
                watch = Sampled(ControllerRSS)
                mark = emu.log_mark()
                cpu = CPU(emu)
                result = ansible.run('scale-%s' % step, playbook, inventory, extra, watch=watch)
                result.update(cpu.done())
                result.update(count_requests(emu.requests_since(mark)))
                result.update(controller_peak_mib=watch.sampler.peak_mib, controller_main_mib=watch.sampler.main_mib)
                row[step] = result
                print('scale %s %-5s %7.1f s = %.2f F  %5d requests (%d GETs, %d writes)  controller peak %.0f MiB '
                      '(main process %.0f MiB)  %s  load %s'
                      % (name, step, result['wall_s'], result['wall_s'] / row['floor_s'], result['requests'],
                         result['gets'], result['writes'], result['controller_peak_mib'], result['controller_main_mib'],
                         cpu_text(result), load()), flush=True)
                for seconds, task, results in result['slowest']:
                    print('    %6.2f s  %-70s %s' % (seconds, task, results), flush=True)
            sizes.append(row)
        finally:
            emu.stop()
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    out['scale'] = dict(sizes=sizes)


def measure_floor(emu, ansible, inventory, extra, row, name, work):
    """The floor F of a fleet and Ansible's own cost of one task on its every host (the bare play), into ``row``."""
    cpu = CPU(emu)
    watch = Sampled(ControllerRSS)
    row['floor_s'] = ansible.floor(inventory, watch=watch)
    row['floor_cpu'] = cpu.done()
    row['floor_main_mib'] = watch.sampler.main_mib
    print('scale %s floor %7.1f s  (main process %.0f MiB)  %s  load %s'
          % (name, row['floor_s'], row['floor_main_mib'], cpu_text(row['floor_cpu']), load()), flush=True)
    # Ansible's own cost of one task on every host, without a module process: what each per-host task of
    # the role pays on top of its module at this fleet size (it grows with the size: see the README).
    bare = os.path.join(work, 'bare.yml')
    with open(bare, 'w') as handle:
        handle.write(BARE_PLAYBOOK)
    row['bare'] = ansible.run('scale-bare', bare, inventory, extra)
    print('scale %s bare  %7.1f s  (one debug task on every host, no module process)  load %s'
          % (name, row['bare']['wall_s'], load()), flush=True)


# ---------------------------------------------------------------- the table

def med(rows, *keys):
    values = []
    for row in rows:
        value = row
        for key in keys:
            value = value[key]
        values.append(value)
    return statistics.median(values)


def table(out):
    rows = []  # (figure, measured, target, ok, details)

    def add(figure, measured, target, ok, details=''):
        rows.append((figure, measured, target, 'PASS' if ok else 'FAIL', details))

    if 'fleet' in out:
        fleet = out['fleet']
        runs = fleet['runs']
        size = '%d x %d' % (fleet['clusters'], fleet['nodes_per_cluster'])
        floor = med(runs, 'floor_s')
        add('%s floor F (ansible -m ping, every host)' % size, '%.1f s' % floor, '-', True, 'forks %d' % out['forks'])
        for step, label, target in (('first', 'first deploy', TARGETS['first_deploy_f']),
                                    ('rerun', 'idempotent re-run', TARGETS['rerun_f']),
                                    ('check', '--check (deployed)', TARGETS['check_f'])):
            # each run's time over the floor of the same run, then the median of those ratios
            ratio = statistics.median(r[step]['wall_s'] / r['floor_s'] for r in runs)
            details = '%.1f s; %d requests (%d GETs), %d writes, changed=%s' % (
                med(runs, step, 'wall_s'), med(runs, step, 'requests'), med(runs, step, 'gets'),
                max(r[step]['writes'] for r in runs), max(r[step]['recap'].get('changed', 0) for r in runs))
            add('%s %s' % (size, label), '%.2f F' % ratio, '<= %.2f F' % target, ratio <= target, details)
        expected = fleet['clusters'] * fleet['nodes_per_cluster'] + fleet['clusters']
        bad = [r['run'] for r in runs if r['rerun']['writes'] or r['rerun']['recap'].get('changed') or r['check']['writes']
               or r['rerun']['gets'] != expected]
        add('%s re-run: N + C GETs, no write, no change' % size, 'runs %s' % (bad or 'all clean'),
            '%d GETs, 0 writes' % expected, not bad)
    if 'scale' in out:
        small, large = out['scale']['sizes'][:2]
        factor = float(large['nodes']) / small['nodes']

        def batches(row):
            return ', serial %d' % row['serial'] if row.get('serial') else ''

        for row in out['scale']['sizes'][1:]:
            for step, label in (('first', 'first deploy'), ('rerun', 'no-op re-run')):
                grown = row[step]['wall_s'] / small[step]['wall_s']
                add('%d nodes%s %s / %d nodes' % (row['nodes'], batches(row), label, small['nodes']), '%.2f x' % grown,
                    '<= %.0f x' % factor, grown <= factor, '%.1f s (%.2f F) vs %.1f s (%.2f F)' % (
                        row[step]['wall_s'], row[step]['wall_s'] / row['floor_s'],
                        small[step]['wall_s'], small[step]['wall_s'] / small['floor_s']))
        for row in out['scale']['sizes']:
            expected = row['nodes'] + row['clusters']
            ok = row['rerun']['gets'] == expected and row['rerun']['writes'] == 0
            add('%d nodes%s no-op: N + C GETs, no write' % (row['nodes'], batches(row)), '%d GETs, %d writes' % (row['rerun']['gets'], row['rerun']['writes']),
                '%d GETs, 0 writes' % expected, ok, 'first deploy %d requests (%d writes)' % (row['first']['requests'], row['first']['writes']))
            add('%d nodes%s controller peak memory' % (row['nodes'], batches(row)), '%.0f MiB' % row['first']['controller_peak_mib'], '-', True,
                'ansible-playbook and its workers at once, Pss (main process alone %.0f MiB); re-run %.0f MiB'
                % (row['first']['controller_main_mib'], row['rerun']['controller_peak_mib']))
        add('%d nodes floor F / %d nodes floor F' % (large['nodes'], small['nodes']),
            '%.2f x' % (large['floor_s'] / small['floor_s']), '-', True, '%.1f s vs %.1f s' % (large['floor_s'], small['floor_s']))
        if 'bare' in small and 'bare' in large:
            # The debug task's time (from its start to the end of the play) over the number of hosts.
            per_host = [1000.0 * r['bare']['slowest'][0][0] / r['nodes'] if r['bare']['slowest'] else 0.0 for r in (small, large)]
            add('Ansible per host and task, %d / %d nodes' % (small['nodes'], large['nodes']), '%.1f / %.1f ms' % tuple(per_host), '-',
                True, 'one debug task on every host (no module process): %.2f x per host; every per-host task of the role pays it on top of its own work'
                % (per_host[1] / per_host[0] if per_host[0] else 0.0))
    if 'uri' in out:
        runs = out['uri']['runs']
        role, naive = med(runs, 'role', 'wall_s'), med(runs, 'naive', 'wall_s')
        ratio = role / naive
        add('3 nodes re-run: role / naive uri', '%.2f' % ratio, '<= %.1f' % TARGETS['uri_ratio'], ratio <= TARGETS['uri_ratio'],
            'role %.1f s (%d requests, %d writes), naive %.1f s (%d requests)' % (
                role, med(runs, 'role', 'requests'), max(r['role']['writes'] for r in runs), naive, med(runs, 'naive', 'requests')))
    if 'upload' in out:
        runs = out['upload']['runs']
        floor, curl, module = med(runs, 'floor', 'wall_s'), med(runs, 'curl', 'wall_s'), med(runs, 'module', 'wall_s')
        limit = floor + TARGETS['curl_factor'] * curl
        add('%d MiB via redis_module_artifact' % out['upload']['size_mib'], '%.2f s' % module, '<= %.2f s' % limit, module <= limit,
            'floor (one uri task) %.2f s + %.1f x curl %.2f s; module = floor + %.2f x curl'
            % (floor, TARGETS['curl_factor'], curl, (module - floor) / curl))
        peak = max(r['module']['peak_rss_mib'] for r in runs)
        add('%d MiB upload: module peak RSS' % out['upload']['size_mib'], '%.1f MiB' % peak,
            '<= %.0f MiB' % TARGETS['upload_peak_mib'], peak <= TARGETS['upload_peak_mib'], 'max over runs, module process tree')
    widths = [max(len(str(r[i])) for r in rows + [('Figure', 'Measured', 'Target', 'Result', 'Details')]) for i in range(5)]
    lines = []
    for row in [('Figure', 'Measured', 'Target', 'Result', 'Details')] + rows:
        lines.append('  '.join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines), all(r[3] == 'PASS' for r in rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', default='fleet,uri,upload',
                        help='comma-separated pieces: %s (default: all but scale, which takes long)' % ', '.join(PIECES))
    parser.add_argument('--collection', default=os.environ.get('REDISOPS_BENCH_COLLECTION') or REPO,
                        help='checkout of the collection to measure (default: this one; env REDISOPS_BENCH_COLLECTION)')
    parser.add_argument('--runs', type=int, default=3, help='runs of each piece; the table shows medians')
    parser.add_argument('--forks', type=int, default=20)
    parser.add_argument('--clusters', type=int, default=10)
    parser.add_argument('--nodes', type=int, default=10, help='nodes per cluster (fleet piece)')
    parser.add_argument('--size-mib', type=int, default=400, help='package size (upload piece)')
    parser.add_argument('--scale-clusters', type=int, default=100, help='clusters of the large fleet (scale piece)')
    parser.add_argument('--scale-nodes', type=int, default=10, help='nodes per cluster of the large fleet (scale piece)')
    parser.add_argument('--scale-serial', type=int, default=0,
                        help='scale piece: also deploy the large fleet in serial batches of this many hosts (module_lifecycle_serial)')
    parser.add_argument('--keep', action='store_true', help='keep the work directories (logs, emulator state)')
    parser.add_argument('--strict', action='store_true', help='exit 1 when a target is missed')
    args = parser.parse_args(argv)
    pieces = [p.strip() for p in args.only.split(',') if p.strip()]
    unknown = sorted(set(pieces) - set(PIECES))
    if unknown or not pieces:
        parser.error('--only: unknown piece(s) %s; choose from %s' % (', '.join(unknown), ', '.join(PIECES)))
    collection = os.path.abspath(args.collection)
    if not os.path.exists(os.path.join(collection, 'galaxy.yml')):
        parser.error('--collection %s: no galaxy.yml there' % collection)
    commit = subprocess.run(['git', '-C', collection, 'rev-parse', '--short', 'HEAD'], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, check=False).stdout.decode().strip()
    out = dict(benchmark='fleet', time=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
               collection=collection, commit=commit, forks=args.forks, runs=args.runs,
               python=platform.python_version(), cpus=os.cpu_count(), load_start=load())
    print('measuring %s (%s), forks %d, %d run(s), load %s' % (collection, commit or 'no git', args.forks, args.runs, out['load_start']),
          flush=True)
    try:
        for piece in pieces:
            {'fleet': bench_fleet, 'uri': bench_uri, 'upload': bench_upload, 'scale': bench_scale}[piece](args, collection, out)
    except BenchError as exc:
        sys.stderr.write('benchmark failed: %s\n' % exc)
        return 2
    out['load_end'] = load()
    text, all_pass = table(out)
    out['table'] = text.splitlines()
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, 'fleet-%s.json' % out['time'].replace(':', ''))
    with open(path, 'w') as handle:
        json.dump(out, handle, indent=2)
    print('\n%s (%s), forks %d, median of %d, %d CPUs, load average %s at start, %s at end\n'
          % (collection, commit or 'no git', args.forks, args.runs, os.cpu_count() or 0, out['load_start'], out['load_end']))
    print(text)
    print('\nwritten to %s' % os.path.relpath(path, REPO))
    return 1 if (args.strict and not all_pass) else 0


if __name__ == '__main__':
    sys.exit(main())
