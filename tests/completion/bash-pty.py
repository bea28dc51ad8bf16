#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Drives bash's completion of excert in a pseudo-terminal, as a person
# would: bash --norc, the script of `excert completion bash` sourced, then
# keys typed (TAB TAB lists, TAB completes) and the screen read back.
# Usage: bash-pty.py EXCERT WORKDIR   (WORKDIR holds an `excert init --lab`
# repository, demo/).  Exit 0 when every case shows what it should.
import os
import pty
import re
import select
import subprocess
import sys
import time

excert = os.path.abspath(sys.argv[1])
work = sys.argv[2]
script = os.path.join(work, "excert.bash")
with open(script, "w") as f:
    subprocess.run([excert, "completion", "bash"], stdout=f, check=True)

env = {
    "PATH": os.path.dirname(excert) + ":/usr/bin:/bin",
    "HOME": work,
    "TERM": "dumb",
    "LANG": "C",
    "PS1": "PROMPT> ",
    "INPUTRC": "/dev/null",
}
# Under the sanitizers, excert completion names runs with their settings.
for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"):
    if k in os.environ:
        env[k] = os.environ[k]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(work)
    os.execve("/bin/bash", ["bash", "--norc", "--noprofile", "-i"], env)
# A wide terminal, so that a listing is one line.
import fcntl
import struct
import termios

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))


def read_for(seconds):
    out = b""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            end = max(end, time.time() + 0.3)
    return out.decode("utf-8", "replace")


def send(keys, wait=1.0):
    os.write(fd, keys.encode())
    return read_for(wait)


read_for(1.0)
send("bind 'set bell-style none'; source %s; echo sourced\n" % script)
failed = 0
cases = [
    # keys typed, what the screen must show, what it must not
    ("excert \t\t", ["init", "validate", "plan", "apply", "drift",
                     "completion", "help"], []),
    ("excert pl\t", ["excert plan "], []),
    ("excert --format \t\t", ["text", "json", "markdown"], []),
    ("excert --format=j\t", ["--format=json"], []),
    ("excert -C demo plan --ta\t", ["--target "], []),
    ("excert -C demo plan --target \t", ["--target mail "], []),
    ("excert -C demo observe --server \t\t\t", ["MS01", "MS02"], []),
    ("excert lab \t\t", ["init", "agent", "serve"], []),
    ("excert completion \t\t", ["bash", "zsh", "fish"], []),
    ("excert acme --key \t\t", ["ec256", "rsa2048"], []),
    ("excert plan --\t\t", ["--target", "--detailed-exitcode", "--out",
                           "--format", "--config"], ["--directory"]),
    ("excert help dr\t", ["excert help drift "], []),
]
for keys, want, unwanted in cases:
    screen = send(keys, 0.8)
    # Clear the line (C-e C-u) for the next case.
    send("\x05\x15", 0.2)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", screen)
    missing = [w for w in want if w not in plain]
    extra = [w for w in unwanted if w in plain]
    if missing or extra:
        failed += 1
        print("FAIL: %r: missing %s, unwanted %s; screen:\n%s"
              % (keys, missing, extra, plain))
    else:
        print("ok: %r" % keys)
send("exit\n", 0.5)
os.close(fd)
os.waitpid(pid, 0)
print("completion.bash: %d passed, %d failed" % (len(cases) - failed, failed))
sys.exit(1 if failed else 0)
