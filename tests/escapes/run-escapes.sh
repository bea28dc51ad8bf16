#!/bin/bash
# SPDX-License-Identifier: MIT
# Terminal escapes from outside never reach the terminal (issue 18).  A lab
# organisation whose names carry ESC sequences, C1 and bidi controls and
# newlines (a friendly name, an FQDN, a receive connector's
# TlsCertificateName, a send connector's name), a saved observation with an
# agent error of the same kind, a saved plan, a file that is not JSON, an
# SMTP greeting and a certificate CN: plan, drift, status, observe and show
# in text and Markdown, probe, and the errors on stderr must hold none of
# those bytes raw, only their visible forms (\x1b, \u202e, ...), and
# Markdown tables must keep their columns.
excert=${1:?usage: run-escapes.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
export NO_COLOR=1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# check NAME FILE [VISIBLE...]: FILE is well-formed UTF-8 without C0 (but
# newline), DEL, C1 or bidi controls, and holds every VISIBLE text.
check() {
    name=$1
    file=$2
    shift 2
    if why=$(python3 - "$file" "$@" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8: %r" % data[max(0, e.start - 20):e.end + 20])
    sys.exit(1)
bad = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                 "\u2028\u2029\u202a-\u202e\u2066-\u2069]")
m = bad.search(text)
if m:
    print("raw U+%04X in %r" % (ord(m.group()), text[max(0, m.start() - 30):m.end() + 30]))
    sys.exit(1)
for want in sys.argv[2:]:
    if want not in text:
        print("no %r in %r" % (want, text[-600:]))
        sys.exit(1)
PY
); then ok; else bad "$name: $why"; fi
}
# table NAME FILE: every row of the Markdown table has its 6 columns.
table() {
    if why=$(python3 - "$2" <<'PY'
import re, sys
rows = [l for l in open(sys.argv[1], encoding="utf-8", errors="replace")
        if l.startswith("|")]
if not rows:
    print("no table")
    sys.exit(1)
for l in rows:
    cells = re.sub(r"\\.", "", l.rstrip("\n")).count("|")
    if cells != 7:
        print("%d pipes in %r" % (cells, l))
        sys.exit(1)
PY
); then ok; else bad "$1: $why"; fi
}

# The organisation, with escapes where an Exchange administrator (or
# whoever owns a server) could put them.
"$excert" init --lab "$tmp/org" >/dev/null 2>&1 || { echo "init failed"; exit 1; }
cd "$tmp/org" || exit 1
python3 - lab/lab.json <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
E = "\x1b"
ms1, ms2 = d["servers"]["MS01"], d["servers"]["MS02"]
for c in ms1["certificates"]:
    if c["friendly_name"] == "WMSVC-SHA2":
        c["friendly_name"] = ("WMSVC" + E + "[2J" + E + "[H\u202eevil\u0085"
                              " | fake\n  + 99 fake")
for c in ms2["certificates"]:
    if c["friendly_name"] == "WMSVC-SHA2":
        c["friendly_name"] = "Z\u00fcrich"  # ordinary UTF-8: kept
ms2["fqdn"] = "ms02.contoso.lab" + E + "[1A\u2066"
for r in ms2["receive_connectors"]:
    if r["name"] == "Default Frontend MS02":
        r["tls_certificate_name"] = ("<I>CN=Other" + E + "[31m\n  - 99 remove"
                                     " fake|x<S>CN=mail.contoso.lab\u202e")
for s in d["send_connectors"]:
    if s["name"] == "Outbound to Internet":
        s["name"] = "Outbound" + E + "]0;pwned\x07\u200f"
json.dump(d, open(p, "w"), indent=1)
PY

# Two servers: an SMTP greeting with escapes, raw C1 and invalid UTF-8; a
# certificate whose CN has escapes and a bidi override.  They are verify
# endpoints of the certificate too, so that status and observe show them.
probes=no
cn=$(printf 'evil\033[2J\342\200\256gro.live')
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" -days 2 -utf8 -subj "/CN=$cn" >/dev/null 2>&1; then
    cat >"$tmp/srv.py" <<'PY'
import socket, ssl, sys, threading
mode = sys.argv[1]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
open(sys.argv[2], "w").write(str(ls.getsockname()[1]))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
def serve(c):
    try:
        if mode == "smtp":
            c.sendall(b"554 \x1b[2J\x1b]0;pwned\x07 \xe2\x80\xae \x9b31m \xc3(\r\n")
            c.recv(100)
        else:
            s = ctx.wrap_socket(c, server_side=True)
            s.recv(1)
    except OSError:
        pass
    c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
    for m in smtp tls; do
        python3 "$tmp/srv.py" $m "$tmp/$m.port" "$tmp/cert.pem" \
            "$tmp/key.pem" 2>"$tmp/$m.log" &
        pids="$pids $!"
    done
    for _ in $(seq 1 100); do
        [ -s "$tmp/smtp.port" ] && [ -s "$tmp/tls.port" ] && break
        sleep 0.1
    done
    cat >>excert.yaml <<YAML
    verify:
      - "smtp://127.0.0.1:$(cat "$tmp/smtp.port")"
      - "https://127.0.0.1:$(cat "$tmp/tls.port")"
YAML
    probes=yes
else
    echo "skipped the probes: openssl cannot make the certificate"
fi
greeting="'554 \\x1b[2J\\x1b]0;pwned\\x07 \\u202e \\x9b31m \\xc3("

"$excert" plan >plan.txt 2>plan.err
check "plan" plan.txt '\x1b[31m\n  - 99 remove fake|x' '\u202e'
check "plan stderr" plan.err
"$excert" --format markdown drift >drift.md 2>drift.err
[ $? -eq 2 ] || bad "drift --format markdown: exit status $?"
check "drift markdown" drift.md '\x1b[31m\n  - 99 remove fake\|x' '\u202e'
check "drift stderr" drift.err
table "drift markdown table" drift.md
"$excert" status >status.txt 2>status.err
if [ $probes = yes ]; then
    check "status" status.txt "$greeting"
else
    check "status" status.txt
fi
check "status stderr" status.err
"$excert" observe -o obs.json >observe.txt 2>observe.err
check "observe" observe.txt \
    '"WMSVC\x1b[2J\x1b[H\u202eevil\u0085 | fake\n  + 99 fake"' \
    'ms02.contoso.lab\x1b[1A\u2066' 'Outbound\x1b]0;pwned\x07\u200f:' \
    '"Zürich"'
check "observe stderr" observe.err

# A saved observation in which MS02's agent answered with an error.
python3 - obs.json <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
for s in d["servers"]:
    if s["name"] == "MS02":
        s["ok"] = False
        s["error"] = "agent: \x1b[2J\x1b[Hok\u009b31m\n  + 1 fake \u2067|"
        s.pop("observe", None)
json.dump(d, open(p, "w"), indent=1)
PY
"$excert" plan --observation obs.json >obsplan.txt 2>obsplan.err
check "plan from an observation" obsplan.txt \
    'agent: \x1b[2J\x1b[Hok\u009b31m\n  + 1 fake \u2067|'
check "plan from an observation, stderr" obsplan.err
"$excert" --format markdown plan --observation obs.json >obsplan.md 2>&1
check "markdown plan from an observation" obsplan.md \
    'agent: \x1b[2J\x1b[Hok\u009b31m\n  + 1 fake \u2067\|'

# A saved plan, shown; then the same plan edited by someone else.
"$excert" plan -o saved.json >/dev/null 2>&1 || bad "plan -o"
"$excert" show saved.json >show.txt 2>show.err
check "show" show.txt '\x1b[31m\n  - 99 remove fake|x'
check "show stderr" show.err
python3 - saved.json <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["steps"][0]["reason"] = "fine\x1b[2K\r\u0085\u202d|done"
d["notes"] = ["\x1b]8;;http://evil\x07click\x1b]8;;\x07"]
json.dump(d, open(p, "w"), indent=1)
PY
"$excert" show saved.json >show2.txt 2>show2.err
check "show an edited plan" show2.txt 'fine\x1b[2K\r\u0085\u202d|done' \
    '\x1b]8;;http://evil\x07click'
check "show an edited plan, stderr" show2.err
"$excert" --format markdown show saved.json >show2.md 2>show2.err
check "show an edited plan as markdown" show2.md \
    'fine\x1b[2K\r\u0085\u202d\|done' '\x1b]8;;http://evil\x07click'
table "show an edited plan as markdown, table" show2.md

# An error on stderr that quotes a file: jansson's "near '...'".
printf '\033[2J\033]0;pwned\007' >bad.json
"$excert" show bad.json >bad.out 2>bad.err && bad "show bad.json succeeded"
check "error on stderr" bad.err "near '\\x1b'"

# Probes on their own.
if [ $probes = yes ]; then
    "$excert" probe --timeout 5s "smtp://127.0.0.1:$(cat "$tmp/smtp.port")" \
        >probe1.txt 2>probe1.err
    check "probe of a greeting" probe1.txt "$greeting"
    check "probe of a greeting, stderr" probe1.err
    "$excert" probe --timeout 5s "https://127.0.0.1:$(cat "$tmp/tls.port")" \
        >probe2.txt 2>probe2.err
    check "probe of a certificate" probe2.txt 'CN=evil\x1b[2J\u202egro.live'
    check "probe of a certificate, stderr" probe2.err
fi


echo "escapes: $pass passed, $fail failed"
[ $fail -eq 0 ]
