#!/usr/bin/env python3
"""Start-up time and idle memory of Stratos against a minimal Tauri app; run by
scripts/bench-startup.sh, which builds both apps and starts the test network and keyring first.

Each launch gets a fresh Xvfb and runs in the same private session bus (the keychain lives there)
with the same HOME and XDG folders, in which one account is signed in (through the `stratos` CLI).

- Start-up: the monotonic time from just before exec until the page's `first_paint` command writes
  its line to the FIFO named by STRATOS_BENCH_READY (the page calls it two animation frames after
  its first screen with data is in place).
- Idle memory, --idle seconds after that signal, summed over the app process and all its
  descendants (WebKitWebProcess, WebKitNetworkProcess, ...): VmRSS from /proc/<pid>/status (what
  the issue's target is about; it counts shared libraries once per process) and Pss from
  /proc/<pid>/smaps_rollup (shared pages split between the processes sharing them).

Launches alternate between the two apps so that load from other work on the machine hits both.
A first launch of each app warms the page cache and WebKit's caches and is not counted.
"""

import argparse
import ctypes
import json
import os
import random
import select
import signal
import statistics
import string
import subprocess
import sys
import time
import urllib.request

# Set by tauri-plugin-single-instance while Stratos runs; a launch made before the last one's name
# is released would hand over to it and exit.
STRATOS_SINGLE_INSTANCE = "social.stratos.desktop.SingleInstance"
SIGNAL_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def become_subreaper():
    """Orphaned descendants of an app (double-forked helpers) re-parent to us, so none escapes the
    process-tree sum or outlives its launch."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_child_subreaper = 36
    if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        log("note: could not become a child subreaper; orphaned helpers are not counted")


def parent_map():
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the command name (which may contain spaces) start at its closing ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    return parents


def tree(root, exclude=()):
    """`root` and all its live descendants, leaving out the subtrees of `exclude`."""
    parents = parent_map()
    children = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root] if root in parents else []
    while todo:
        pid = todo.pop()
        if pid in exclude:
            continue
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def app_tree(app_pid, xvfb_pid):
    """The app and its descendants, plus any orphan of it that re-parented to us."""
    pids = set(tree(app_pid))
    for pid in tree(os.getpid(), exclude={xvfb_pid, app_pid}):
        if pid != os.getpid():
            pids.add(pid)
    return sorted(pids)


def kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pids):
    """(RSS MiB, PSS MiB, [(process name, RSS MiB, PSS MiB)]) summed over `pids`."""
    parts = []
    for p in pids:
        try:
            with open(f"/proc/{p}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        parts.append((name, kib(f"/proc/{p}/status", "VmRSS") / 1024,
                      kib(f"/proc/{p}/smaps_rollup", "Pss") / 1024))
    return sum(r for _, r, _ in parts), sum(p for _, _, p in parts), parts


def reap():
    """Collects exited children, including orphans that re-parented to us."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop(pids):
    """SIGTERM, then SIGKILL after a grace period, for exactly these processes."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            reap()
            alive = set(parent_map())
            if not any(p in alive for p in pids):
                return
            time.sleep(0.05)


def bus_name_owned(env, name):
    out = subprocess.run(
        ["gdbus", "call", "--session", "--timeout", "2", "--dest", "org.freedesktop.DBus",
         "--object-path", "/org/freedesktop/DBus", "--method",
         "org.freedesktop.DBus.NameHasOwner", name],
        env=env, capture_output=True, text=True, check=False)
    return "true" in out.stdout


def wait_bus_name_released(env, name):
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while bus_name_owned(env, name):
        if time.monotonic() > deadline:
            sys.exit(f"{name} is still owned on the session bus after the app stopped")
        time.sleep(0.05)


def start_xvfb():
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    display = xvfb.stdout.readline().strip()
    if not display:
        sys.exit("Xvfb exited before announcing its display")
    return xvfb, f":{display}"


def launch(app, env, workdir, idle_s, index):
    """One launch: returns (start-up ms, RSS MiB, PSS MiB, process names); memory is None when
    idle_s is None (a warm-up launch)."""
    xvfb, display = start_xvfb()
    fifo = os.path.join(workdir, f"ready-{app['key']}-{index}")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    # Our own writer keeps the FIFO from reporting end-of-file before the app opens it.
    keep_open = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    app_log = open(os.path.join(workdir, f"{app['key']}-{index}.log"), "wb")
    run_env = dict(env, DISPLAY=display, STRATOS_BENCH_READY=fifo)
    try:
        start = time.monotonic_ns()
        proc = subprocess.Popen([app["bin"]], env=run_env, stdin=subprocess.DEVNULL,
                                stdout=app_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SIGNAL_TIMEOUT_S
        while True:
            ready, _, _ = select.select([reader], [], [], 0.2)
            if ready:
                ready_at = time.monotonic_ns()
                if os.read(reader, 4096):
                    break
            if proc.poll() is not None:
                sys.exit(f"{app['name']} exited ({proc.returncode}) before its first paint; "
                         f"see {app_log.name}")
            if time.monotonic() > deadline:
                stop(app_tree(proc.pid, xvfb.pid))
                sys.exit(f"{app['name']} did not signal its first paint within "
                         f"{SIGNAL_TIMEOUT_S} s; see {app_log.name}")
        startup_ms = (ready_at - start) / 1e6
        rss = pss = names = None
        if idle_s is not None:
            time.sleep(idle_s)  # the measured idle period, not padding
            rss, pss, names = memory(app_tree(proc.pid, xvfb.pid))
        stop(app_tree(proc.pid, xvfb.pid))
        if app.get("bus_name"):
            wait_bus_name_released(env, app["bus_name"])
        return startup_ms, rss, pss, names
    finally:
        os.close(reader)
        os.close(keep_open)
        os.unlink(fifo)
        app_log.close()
        stop([xvfb.pid])


def post_json(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def sign_in_one_account(cli, env):
    """Creates an account on the test network's first PDS and signs it in with the CLI, in the
    same HOME/XDG folders and keychain the apps use."""
    with open(env["STRATOS_TESTNET_INFO"]) as f:
        pds = json.load(f)["pds"][0]
    label = "bench" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
    password = "pw-" + "".join(random.choices(string.ascii_letters + string.digits, k=24))
    account = post_json(f"{pds['url']}/xrpc/com.atproto.server.createAccount", {
        "handle": label + pds["domain"], "email": f"{label}@example.com", "password": password})
    subprocess.run([cli, "account", "login", "-u", account["handle"], "-p", password],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    listed = subprocess.run([cli, "account", "list", "--json"], env=env, check=True,
                            capture_output=True, text=True)
    accounts = json.loads(listed.stdout).get("accounts", [])
    if len(accounts) != 1:
        sys.exit(f"expected one signed-in account, the CLI lists {len(accounts)}")
    log(f"signed in: {account['handle']} ({account['did']})")


def app_env(workdir):
    with open(os.environ["STRATOS_TESTNET_INFO"]) as f:
        net = json.load(f)
    env = dict(os.environ)
    # The defaults a user has: the data folder under XDG_DATA_HOME, the "stratos" keychain service.
    for var in ("STRATOS_DATA_DIR", "STRATOS_KEYRING_SERVICE", "STRATOS_OAUTH_CLIENT_ID",
                "RUST_LOG", "WAYLAND_DISPLAY", "DISPLAY"):
        env.pop(var, None)
    for d in ("home", "config", "data", "cache"):
        os.makedirs(os.path.join(workdir, d), exist_ok=True)
    env.update({
        "HOME": os.path.join(workdir, "home"),
        "XDG_CONFIG_HOME": os.path.join(workdir, "config"),
        "XDG_DATA_HOME": os.path.join(workdir, "data"),
        "XDG_CACHE_HOME": os.path.join(workdir, "cache"),
        "GDK_BACKEND": "x11",
        "NO_AT_BRIDGE": "1",
        "STRATOS_PLC_URL": net["plc"],
        "STRATOS_HANDLE_RESOLVER": net["resolver"],
    })
    return env


def spread(values, fmt):
    return [fmt.format(min(values)), fmt.format(statistics.median(values)), fmt.format(max(values))]


def report(apps, results, runs, idle_s, label):
    cols = [("start-up ms", 0, "{:.0f}"), ("idle RSS MiB", 1, "{:.1f}"), ("idle PSS MiB", 2, "{:.1f}")]
    print(f"\nStart-up and idle memory, {runs} launches each, {idle_s} s idle, {label}")
    print(f"{'':22}" + "".join(f"{name + ' (min/median/max)':>36}" for name, _, _ in cols))
    for app in apps:
        rows = results[app["key"]]
        cells = ["/".join(spread([r[i] for r in rows], fmt)) for _, i, fmt in cols]
        print(f"{app['name']:22}" + "".join(f"{c:>36}" for c in cells))
    a, b = (results[app["key"]] for app in apps)
    ratios = []
    for _, i, _ in cols:
        ratios.append(statistics.median(r[i] for r in a) / statistics.median(r[i] for r in b))
    print(f"{apps[0]['name'] + ' / ' + apps[1]['name']:22}"
          + "".join(f"{f'{r:.2f}x (medians)':>36}" for r in ratios))
    verdict = lambda r: "met" if r <= 1.2 else "NOT met"
    print(f"targets (<= 1.20x): start-up {verdict(ratios[0])}, idle RSS {verdict(ratios[1])}")
    print("processes counted, RSS/PSS MiB of the last launch:")
    for app in apps:
        parts = results[app["key"]][-1][3]
        print(f"  {app['name']}: " + ", ".join(f"{n} {r:.0f}/{p:.0f}" for n, r, p in parts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stratos", required=True, help="the stratos-app binary")
    parser.add_argument("--minimal", required=True, help="the baseline app binary")
    parser.add_argument("--cli", required=True, help="the stratos CLI binary (signs in)")
    parser.add_argument("--workdir", required=True, help="an empty folder for HOME, FIFOs, logs")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle", type=int, default=30, help="seconds before the memory reading")
    parser.add_argument("--label", default="", help="printed with the table (versions)")
    args = parser.parse_args()

    become_subreaper()
    workdir = os.path.abspath(args.workdir)
    env = app_env(workdir)
    sign_in_one_account(args.cli, env)
    apps = [
        {"key": "stratos", "name": "Stratos", "bin": args.stratos, "bus_name": STRATOS_SINGLE_INSTANCE},
        {"key": "minimal", "name": "minimal Tauri app", "bin": args.minimal},
    ]
    for app in apps:
        ms, _, _, _ = launch(app, env, workdir, None, "warm-up")
        log(f"warm-up {app['name']}: {ms:.0f} ms (not counted)")
    results = {app["key"]: [] for app in apps}
    for i in range(args.runs):
        for app in apps if i % 2 == 0 else reversed(apps):
            r = launch(app, env, workdir, args.idle, i)
            results[app["key"]].append(r)
            log(f"run {i + 1}/{args.runs} {app['name']}: {r[0]:.0f} ms, RSS {r[1]:.1f} MiB, "
                f"PSS {r[2]:.1f} MiB ({len(r[3])} processes)")
    report(apps, results, args.runs, args.idle, args.label)


if __name__ == "__main__":
    main()
