#!/usr/bin/env python
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The check modules at scale: probe, test_send and tls_check over N targets (default 10,000).

Servers: loopback listeners of extensions/servers/smtp_server.py (STARTTLS + AUTH) in a few server
processes, and one silent listener, which accepts connections and never sends its greeting. One target in
--silent-every points at the silent one, with a short timeout.

Each module runs as its own process (the module file with an arguments file, as Ansible runs it
on a host), at a concurrency above what the open-file limit allows. While it runs, its open
descriptors (/proc/PID/fd) and its resident memory (/proc/PID/status) are sampled; afterwards
the result is checked:

  - every target's result is at its position (results[i].name is the name of connector i);
  - every target on a working listener succeeded with the right result (tls_check: verified, STARTTLS
    advertised and enforced, the fingerprint of that listener's certificate; probe: authenticated, the
    recipients accepted; test_send: the message accepted), every silent one failed waiting for the greeting
    (category connection: the port accepts and says nothing), and no silent target took longer
    than its timeout allows: the session's timeout, then the look that settles the failure on fresh
    connections, which Session.classify bounds at 2 x timeout + 5 s (plus 2 s for a saturated machine);
  - the process never held --fd-limit descriptors or more (it runs under that RLIMIT_NOFILE);
  - its peak resident memory stayed under --max-rss-mb;
  - its progress file (progress_file, what the action plugin prints on the controller) only grew and ended
    at the final counts.

Prints one line per module (time, peak RSS, peak descriptors) and writes build/bench/scale.json.
Exits 1 when a check fails, so that a small --count serves as a test (the integration target
`scale` runs it). Needs aiosmtpd, trustme and the collection's requirements.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

from bench import collections_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMTP_SERVER = os.path.join(ROOT, "extensions", "servers", "smtp_server.py")
PASSWORD = "scale-Pw-7734"
MODULES = ("probe", "test_send", "tls_check")
SCHEDULING = 2.0
"""Seconds a silent target may exceed its design bound when the machine is saturated."""


def collections_path(work):
    """A directory holding ansible_collections/mailops/smtp for this checkout."""
    parts = ROOT.rstrip(os.sep).split(os.sep)
    if parts[-3:-1] == ["ansible_collections", "mailops"]:
        return os.sep.join(parts[:-3])
    return collections_dir(work)


def start_servers(state, listeners, processes):
    """Working listeners spread over `processes` server processes, and the silent one; returns (configs, infos)."""
    configs, infos = [], {}
    for proc in range(processes):
        config = [{"name": "p%d-ok%d" % (proc, index), "mode": "starttls", "require_starttls": True,
                   "auth": "scale:" + PASSWORD} for index in range(listeners)]
        if proc == processes - 1:
            config.append({"name": "silent", "mode": "starttls", "banner_delay": 86400})
        path = os.path.join(state, "servers-%d.json" % proc)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(config, handle)
        out = subprocess.run([sys.executable, SMTP_SERVER, "--state-dir", state, "--config", path, "--background"],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        configs.append(path)
        infos.update(json.loads(out))
    return configs, infos


def stop_servers(state, configs):
    for path in configs:
        subprocess.run([sys.executable, SMTP_SERVER, "--state-dir", state, "--config", path, "--stop"], check=False,
                       stdout=subprocess.DEVNULL)


def connectors(infos, count, silent_every, timeout):
    working = sorted(name for name in infos if name != "silent")
    conns = []
    for index in range(count):
        silent = silent_every and index % silent_every == silent_every - 1
        info = infos["silent"] if silent else infos[working[index % len(working)]]
        conn = {
            "name": "t%05d" % index, "host": "127.0.0.1", "port": info["port"], "security": "starttls",
            "tls": {"ca_file": info["ca_file"]}, "auth": {"username": "scale", "password": PASSWORD},
            "senders": {"default": "app%d@example.org" % index}, "test": {"to": ["tests@example.org"]},
        }
        if silent:
            conn["timeout"] = timeout
        conns.append(conn)
    return conns


def module_args(module, conns, concurrency, work):
    args = {"connectors": conns, "concurrency": concurrency, "retries": 0, "ehlo_name": "scale.example.org",
            "fail_on": ["never"], "progress_file": os.path.join(work, "%s.progress" % module)}
    if module == "probe":
        args["rcpt_to"] = True
    elif module == "test_send":
        args.update({"send": "always", "state_file": os.path.join(work, "test_send-state.json")})
    return {"ANSIBLE_MODULE_ARGS": args}


class Sampler(threading.Thread):
    """Samples a process's open descriptors and resident memory until it exits."""

    def __init__(self, pid, interval=0.01, progress_file=None):
        super().__init__(daemon=True)
        self.pid = pid
        self.progress_file = progress_file
        self.progress = []  # the distinct counts seen in the module's progress file, in order
        self.interval = interval
        self.peak_fds = 0
        self.peak_rss_kb = 0
        self.samples = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                fds = len(os.listdir("/proc/%d/fd" % self.pid))
                with open("/proc/%d/status" % self.pid, encoding="ascii") as handle:
                    for line in handle:
                        if line.startswith("VmHWM:"):
                            self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
            except (OSError, ValueError):
                break
            self.peak_fds = max(self.peak_fds, fds)
            self.samples += 1
            if self.progress_file and self.samples % 50 == 0:
                self.read_progress()
            time.sleep(self.interval)
        self.read_progress()

    def read_progress(self):
        try:
            with open(self.progress_file, encoding="utf-8") as handle:
                counts = json.load(handle)
        except (OSError, ValueError, TypeError):
            return
        if not self.progress or self.progress[-1] != counts:
            self.progress.append(counts)


def run_module(module, args_file, pythonpath, fd_limit, progress_file=None):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    env = dict(os.environ, PYTHONPATH=pythonpath)
    module_file = os.path.join(ROOT, "plugins", "modules", module + ".py")
    start = time.perf_counter()
    with open(args_file + ".out", "wb") as out:
        proc = subprocess.Popen([sys.executable, module_file, args_file], env=env, stdout=out,  # pylint: disable=consider-using-with
                                stderr=subprocess.PIPE, preexec_fn=limit)
        sampler = Sampler(proc.pid, progress_file=progress_file)
        sampler.start()
        _out, err = proc.communicate()
        sampler.done.set()
        sampler.join()
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(args_file + ".out", encoding="utf-8") as handle:
        text = handle.read()
    try:
        result = json.loads(text[text.index("{"):])
    except ValueError:
        detail = "%s %s" % (text[-2000:], err.decode(errors="replace")[-2000:])
        raise SystemExit("%s printed no result (rc %s): %s" % (module, proc.returncode, detail))
    return result, elapsed, sampler, usage


def content_problem(module, res, conn, listener_info):
    """What is wrong in the result of a target on a working listener (None: it is right)."""
    if res.get("port") != conn["port"]:
        return "port %s, not %s" % (res.get("port"), conn["port"])
    if module == "tls_check":
        # the listener requires STARTTLS and presents a valid certificate from ca_file: each result must carry
        # the fingerprint of the certificate of the listener its connector names
        cert = res.get("certificate") or {}
        if res.get("status") != "ok" or not (res.get("tls") or {}).get("verified") or res.get("findings"):
            return "status %s, tls %s, findings %s" % (res.get("status"), res.get("tls"), res.get("findings"))
        if res.get("starttls_enforced") is not True or res.get("starttls_advertised") is not True:
            return "starttls advertised %s, enforced %s" % (res.get("starttls_advertised"), res.get("starttls_enforced"))
        if cert.get("sha256") != listener_info[conn["port"]]["cert_sha256"] or not cert.get("name_matches"):
            return "certificate %s of another listener" % cert.get("sha256")
    elif module == "probe":
        recipients = res.get("recipients") or {"-": {}}
        if not (res.get("auth") or {}).get("authenticated") or not all(r.get("accepted") for r in recipients.values()):
            return "auth %s, recipients %s" % (res.get("auth"), res.get("recipients"))
    elif module == "test_send":
        if not res.get("sent") or not all(m.get("accepted") for m in res.get("messages") or [{}]):
            return "messages %s" % res.get("messages")
    return None


def check(module, result, conns, elapsed, sampler, options):
    problems = []
    results = result.get("results") or []
    if len(results) != len(conns):
        problems.append("%d results for %d targets: %s" % (len(results), len(conns), result.get("msg")))
    misplaced = [i for i, (res, conn) in enumerate(zip(results, conns, strict=False)) if res.get("name") != conn["name"]]
    if misplaced:
        problems.append("results out of position at %s" % misplaced[:5])
    status_key = "status"
    silent = [(res, conn) for res, conn in zip(results, conns, strict=False) if conn.get("timeout") == options.timeout]
    working = [(res, conn) for res, conn in zip(results, conns, strict=False) if conn.get("timeout") != options.timeout]
    bad = [res["name"] for res, _conn in working if res.get(status_key) == "failed"]
    if bad:
        first = next(res for res, _conn in working if res["name"] == bad[0])
        problems.append("%d working targets failed, e.g. %s: %s" % (len(bad), bad[0], first.get("error")))
    wrong = [(res["name"], problem) for res, conn in working
             for problem in [content_problem(module, res, conn, options.listener_info)] if problem]
    if wrong:
        problems.append("%d working targets with a wrong result, e.g. %s" % (len(wrong), wrong[:3]))
    not_timeout = [res["name"] for res, _conn in silent
                   if res.get(status_key) != "failed" or (res.get("error") or {}).get("stage") != "banner"]
    if not_timeout:
        first = next(res for res, _conn in silent if res["name"] == not_timeout[0])
        problems.append("silent targets not failed at the greeting: %s, e.g. %s" % (not_timeout[:5], first.get("error")))
    # The session's own timeout, then the look that settles what a silent port is (a clear-text read
    # and a lenient handshake on fresh connections, bounded by Session.classify at 2 x timeout + 5 s).
    # Plus SCHEDULING seconds: with hundreds of handshakes in flight on a busy machine the event loop
    # fires timers late.
    bound_ms = (3 * options.timeout + 5.0 + SCHEDULING) * 1000.0
    slow = [(res["name"], (res.get("timings") or {}).get("total")) for res, _conn in silent
            if ((res.get("timings") or {}).get("total") or 0) > bound_ms]
    if slow:
        problems.append("silent targets over %.0f ms: %s" % (bound_ms, slow[:5]))
    silent_ms = sorted((res.get("timings") or {}).get("total") or 0 for res, _conn in silent)
    # the progress file (what the action plugin prints on the controller) ends at the final counts
    final = {"done": len(conns), "total": len(conns), "failed": sum(1 for res in results if res.get("status") == "failed")}
    if [p.get("done") for p in sampler.progress] != sorted(p.get("done") for p in sampler.progress):
        problems.append("progress went backwards: %s" % sampler.progress)
    if not sampler.progress or sampler.progress[-1] != final:
        problems.append("progress file ended at %s, not %s" % (sampler.progress[-1:] or None, final))
    if sampler.peak_fds >= options.fd_limit:
        problems.append("peak descriptors %d, limit %d" % (sampler.peak_fds, options.fd_limit))
    if sampler.peak_rss_kb > options.max_rss_mb * 1024:
        problems.append("peak RSS %d MB over %d MB" % (sampler.peak_rss_kb // 1024, options.max_rss_mb))
    return {"module": module, "count": len(conns), "silent": len(silent), "seconds": round(elapsed, 2),
            "peak_rss_mb": round(sampler.peak_rss_kb / 1024.0, 1), "peak_fds": sampler.peak_fds,
            "fd_limit": options.fd_limit, "samples": sampler.samples, "problems": problems,
            "progress_states": len(sampler.progress),
            "silent_seconds": [round(silent_ms[0] / 1000.0, 1), round(silent_ms[-1] / 1000.0, 1)] if silent_ms else None,
            "summary": result.get("summary")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--modules", nargs="+", default=list(MODULES), choices=MODULES)
    parser.add_argument("--listeners", type=int, default=2, help="working listeners per server process")
    parser.add_argument("--processes", type=int, default=2, help="server processes")
    parser.add_argument("--silent-every", type=int, default=100, help="every Nth target is the silent listener")
    parser.add_argument("--timeout", type=int, default=2, help="timeout of the silent targets, seconds")
    parser.add_argument("--concurrency", type=int, default=500, help="asked for; the modules cap it")
    parser.add_argument("--fd-limit", type=int, default=1024, help="RLIMIT_NOFILE of the module process")
    parser.add_argument("--max-rss-mb", type=int, default=1024)
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "scale.json"))
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mailops-scale-")
    state = os.path.join(work, "servers")
    os.makedirs(state)
    configs, infos = start_servers(state, options.listeners, options.processes)
    rows = []
    try:
        conns = connectors(infos, options.count, options.silent_every, options.timeout)
        options.listener_info = dict((info["port"], info) for info in infos.values())
        pythonpath = collections_path(work)
        for module in options.modules:
            args_file = os.path.join(work, "%s-args.json" % module)
            with open(args_file, "w", encoding="utf-8") as handle:
                json.dump(module_args(module, conns, options.concurrency, work), handle)
            load_before = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            progress_file = os.path.join(work, "%s.progress" % module)
            result, elapsed, sampler, usage = run_module(module, args_file, pythonpath, options.fd_limit, progress_file)
            row = check(module, result, conns, elapsed, sampler, options)
            # how busy the machine was: the module's own CPU time, and the 1-minute load before and after
            row["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime, 1)
            row["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            rows.append(row)
            print("%-9s n=%-6d silent=%-4d %7.1f s (CPU %.1f s, load %.1f -> %.1f)  peak RSS %6.1f MB  "
                  "peak fds %4d (limit %d)  %s" % (
                      module, row["count"], row["silent"], row["seconds"], row["cpu_seconds"], row["load_average"][0],
                      row["load_average"][1], row["peak_rss_mb"], row["peak_fds"], options.fd_limit,
                      "; ".join(row["problems"]) or "checks passed"))
            sys.stdout.flush()
    finally:
        stop_servers(state, configs)
        subprocess.run(["rm", "-rf", work], check=False)
    os.makedirs(os.path.dirname(options.out), exist_ok=True)
    with open(options.out, "w", encoding="utf-8") as handle:
        json.dump({"count": options.count, "concurrency": options.concurrency, "rows": rows}, handle, indent=2)
    return 1 if any(row["problems"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
