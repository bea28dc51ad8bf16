# SPDX-License-Identifier: MIT
"""The measuring half of bench/acme/run.sh.

  bench.py relay PORT TARGET_PORT COUNTFILE
      a TCP relay on 127.0.0.1:PORT to 127.0.0.1:TARGET_PORT that appends
      one line to COUNTFILE per connection accepted (so the TLS connections
      each client opens to the CA are counted without looking inside them)

  bench.py run NAME CMDFILE PEBBLE_LOG COUNTFILE RESULT_JSON
      runs CMDFILE's lines one at a time (a line "setup ARGV..." or
      "cert ARGV...", ARGV split as a shell would, no shell run), and for
      each: wall time, user+sys CPU and peak RSS of the process and every
      descendant it waited for (wait4), the CA's requests (Pebble's log
      lines "METHOD /path -> calling handler()") and the connections the
      relay accepted; appends one JSON object to RESULT_JSON

  bench.py table RESULT_JSON
      the Markdown table of docs/benchmarks.md, with the ratios to excert
"""
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
import time


def relay(port, target, countfile):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(port)))
    srv.listen(64)
    lock = threading.Lock()

    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    while True:
        c, _ = srv.accept()
        with lock:
            with open(countfile, "a") as f:
                f.write("1\n")
        try:
            u = socket.create_connection(("127.0.0.1", int(target)))
        except OSError:
            c.close()
            continue
        for s in (c, u):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(c, u), daemon=True).start()
        threading.Thread(target=pump, args=(u, c), daemon=True).start()


def count_lines(path, needle=None):
    try:
        with open(path, errors="replace") as f:
            if needle is None:
                return sum(1 for _ in f)
            return sum(1 for line in f if needle in line)
    except FileNotFoundError:
        return 0


def run(name, cmdfile, pebble_log, countfile, result):
    steps = []
    with open(cmdfile) as f:
        lines = [l.strip() for l in f if l.strip()]
    for line in lines:
        kind, _, rest = line.partition(" ")
        argv = shlex.split(rest)
        r0 = count_lines(pebble_log, "-> calling handler()")
        c0 = count_lines(countfile)
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=open("%s.log" % name, "a"))
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        time.sleep(0.05)  # Pebble's log line of the last request
        steps.append({
            "kind": kind,
            "rc": os.waitstatus_to_exitcode(status),
            "wall": wall,
            "cpu": ru.ru_utime + ru.ru_stime,
            "rss_kib": ru.ru_maxrss,
            "requests": count_lines(pebble_log, "-> calling handler()") - r0,
            "connections": count_lines(countfile) - c0,
        })
    with open(result, "a") as f:
        f.write(json.dumps({"name": name, "steps": steps}) + "\n")
    bad = [s for s in steps if s["rc"] != 0]
    print("bench: %s: %d steps, %d failed, %.2f s" %
          (name, len(steps), len(bad), sum(s["wall"] for s in steps)),
          file=sys.stderr)


def table(result):
    rows = []
    with open(result) as f:
        for line in f:
            rows.append(json.loads(line))
    out = []
    for r in rows:
        st = r["steps"]
        certs = [s for s in st if s["kind"] == "cert"]
        ok = sum(1 for s in certs if s["rc"] == 0)
        later = certs[1:] if len(certs) > 1 else certs
        out.append({
            "name": r["name"],
            "ok": ok,
            "n": len(certs),
            "failed_setup": sum(1 for s in st
                                if s["kind"] == "setup" and s["rc"] != 0),
            "wall": sum(s["wall"] for s in st),
            "cpu": sum(s["cpu"] for s in st),
            "rss": max(s["rss_kib"] for s in st) / 1024.0,
            "req": sum(s["requests"] for s in st),
            "req_later": sum(s["requests"] for s in later) / len(later),
            "conn": sum(s["connections"] for s in st),
            "runs": len(st),
        })
    ex = next((o for o in out if o["name"] == "excert"), None)
    print("| client | issued | wall, total | wall per cert | CPU per cert "
          "| peak RSS | requests per cert (all / after the first) "
          "| TLS connections (per process run) | wall vs excert "
          "| CPU vs excert |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: |")
    for o in out:
        n = max(o["n"], 1)
        wr = cr = "1.0×"
        if ex and o is not ex:
            wr = "%.1f×" % (o["wall"] / ex["wall"])
            cr = "%.1f×" % (o["cpu"] / ex["cpu"])
        print("| %s | %d/%d%s | %.2f s | %.0f ms | %.1f ms | %.1f MiB "
              "| %.1f / %.1f | %d (%.1f) | %s | %s |" % (
                  o["name"], o["ok"], o["n"],
                  " (setup failed)" if o["failed_setup"] else "",
                  o["wall"], 1000 * o["wall"] / n, 1000 * o["cpu"] / n,
                  o["rss"], o["req"] / n, o["req_later"], o["conn"],
                  o["conn"] / o["runs"], wr, cr))


def main():
    cmd = sys.argv[1]
    if cmd == "relay":
        relay(*sys.argv[2:5])
    elif cmd == "run":
        run(*sys.argv[2:7])
    elif cmd == "table":
        table(sys.argv[2])
    else:
        sys.exit("usage: bench.py relay|run|table ...")


if __name__ == "__main__":
    main()
