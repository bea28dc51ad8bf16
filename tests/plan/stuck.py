# SPDX-License-Identifier: MIT
# Plans that never get stuck and drift that never lies (issue 13), on lab
# organisations put in states met in real life.
#
#   stuck.py EXCERT WORKDIR cases      the five situations, each checked
#   stuck.py EXCERT WORKDIR property N SEED
#                                      N generated states (mutations of a
#                                      due lab), seeded and reproducible
#
# For every state: plan, apply (which must never fail at a guard), then a
# second plan, which must be empty, or hold only what no step can fix
# (listed under "unfixed", and drift exits 2 for it).
import json
import os
import random
import shutil
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

EXCERT = os.path.abspath(sys.argv[1])
WORK = sys.argv[2]
passed = 0
failed = 0


def ok(what):
    global passed
    passed += 1
    print("ok: " + what)


def bad(what, *details):
    global failed
    failed += 1
    print("FAIL: " + what, file=sys.stderr)
    for d in details:
        for line in str(d).splitlines()[-25:]:
            print("    " + line, file=sys.stderr)


def run(cwd, *args, env=None):
    e = dict(os.environ)
    e["XDG_STATE_HOME"] = os.path.join(cwd, "state")
    if env:
        e.update(env)
    p = subprocess.run([EXCERT] + list(args), cwd=cwd, capture_output=True,
                       text=True, env=e)
    return p.returncode, p.stdout, p.stderr


def seed(name, *args):
    d = os.path.join(WORK, name)
    if not os.path.exists(d):
        rc, out, err = run(WORK, "init", "--lab", d, *args)
        if rc != 0:
            raise SystemExit("init --lab %s: %s" % (name, err))
    return d


def fresh(src, name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src, d, symlinks=True)
    shutil.rmtree(os.path.join(d, "state"), ignore_errors=True)
    return d


def lab(d):
    return json.load(open(os.path.join(d, "lab", "lab.json")))


def save(d, doc):
    json.dump(doc, open(os.path.join(d, "lab", "lab.json"), "w"), indent=2)


def yaml_edit(d, old, new):
    p = os.path.join(d, "excert.yaml")
    t = open(p).read()
    assert old in t, (old, t)
    open(p, "w").write(t.replace(old, new))


def current_tls(doc):
    """The TlsCertificateName the organisation uses for the certificate."""
    names = [c["tls_certificate_name"] for c in doc["send_connectors"]]
    names += [c["tls_certificate_name"] for s in doc["servers"].values()
              for c in s["receive_connectors"]]
    if doc.get("hybrid"):
        names.insert(0, doc["hybrid"]["tls_certificate_name"])
    return [n for n in names if n][0]


def plan_json(d):
    rc, out, err = run(d, "--format", "json", "plan", "--detailed-exitcode")
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, out + err


def converge(d, what):
    """plan, apply, plan again: apply never fails at a guard, and the
    second plan has no step.  Returns (drift exit, second plan)."""
    rc, p1, err = plan_json(d)
    if p1 is None:
        bad(what + ": plan gave no JSON", err)
        return None, None
    blocked = p1["summary"]["blocked"]
    rc, out, err = run(d, "apply", "--auto-approve")
    if rc != 0 and not blocked:
        bad(what + ": apply failed (exit %d)" % rc, out, err)
        return None, None
    rc2, p2, err2 = plan_json(d)
    if p2 is None:
        bad(what + ": second plan gave no JSON", err2)
        return None, None
    if p2["steps"] and not blocked:
        bad(what + ": the second plan is not empty",
            json.dumps([(s["kind"], s["server"], s["reason"]) for s in p2["steps"]], indent=1),
            "apply said:", err)
        return None, None
    drc, dout, derr = run(d, "drift")
    want = 1 if blocked else (2 if p2.get("unfixed", []) else 0)
    if drc != want:
        bad(what + ": drift exits %d, expected %d" % (drc, want), dout, derr)
        return None, None
    return drc, p2


def twin(d, server, friendly, exportable, later_days, bind=False):
    """A certificate made by hand on server: the lab's current names, from
    the lab CA, expiring later_days after the current one."""
    doc = lab(d)
    s = doc["servers"][server]
    src = server
    mine = [c for c in s["certificates"] if c["friendly_name"] == "excert mail"]
    if not mine:  # gone from this server: the other one's names
        src = "MS01" if server == "MS02" else "MS02"
        mine = [c for c in doc["servers"][src]["certificates"] if c["friendly_name"] == "excert mail"]
    cur = mine[0]
    base = os.path.join(d, "lab")
    pem = open("%s/servers/%s/certs/%s.pem" % (base, src, cur["thumbprint"]), "rb").read()
    chain = [x509.load_pem_x509_certificate(b"-----BEGIN CERTIFICATE-----" + part)
         for part in pem.split(b"-----BEGIN CERTIFICATE-----")[1:]]
    leaf = chain[0]
    ca_key = serialization.load_pem_private_key(open(base + "/ca/issuing.key", "rb").read(), None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    b = (x509.CertificateBuilder().subject_name(leaf.subject).issuer_name(leaf.issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(getattr(leaf, "not_valid_before_utc", None) or leaf.not_valid_before)
         .not_valid_after((getattr(leaf, "not_valid_after_utc", None) or leaf.not_valid_after) + __import__("datetime").timedelta(days=later_days)))
    for e in leaf.extensions:
        if e.oid != x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            b = b.add_extension(e.value, e.critical)
    cert = b.sign(ca_key, hashes.SHA256())
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()
    with open("%s/servers/%s/certs/%s.pem" % (base, server, thumb), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
        for c in chain[1:]:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    with open("%s/servers/%s/keys/%s.key" % (base, server, thumb), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    entry = dict(cur)
    entry.update(thumbprint=thumb, friendly_name=friendly, exportable=exportable,
                 services=["IIS", "SMTP"] if bind else [])
    s["certificates"].append(entry)
    if bind:
        s["iis"]["443"] = thumb
    save(d, doc)
    return thumb


# ---- the five situations ------------------------------------------------

def situations(due, other):
    # 1. The superseded certificate is still named by a receive connector
    # excert.yaml does not list, and the new certificate has another
    # issuer: the old one is kept with a note saying who names it, apply
    # succeeds, and drift says so (exit 2) instead of proposing the same
    # refused removal forever.
    d = fresh(due, "s1")
    doc = lab(d)
    doc["servers"]["MS01"]["receive_connectors"].append(
        {"name": "Partner MS01", "fqdn": "ms01.contoso.lab",
         "tls_certificate_name": current_tls(doc)})
    save(d, doc)
    os.symlink(other, d + "/other")
    yaml_edit(d, "labca: {lab: {path: lab}}", "labca: {lab: {path: other}}")
    rc, p2 = converge(d, "1: unmanaged connector, new issuer")
    if rc == 2 and any("Partner MS01" in u and "keeps" in u for u in p2.get("unfixed", [])):
        ok("1: a removal an unmanaged connector would break is kept, said under unfixed; apply succeeds; drift exits 2")
    elif rc is not None:
        bad("1: expected drift 2 naming 'Partner MS01'", json.dumps(p2, indent=1))
    # ... and the same with the hybrid configuration and hybrid: false.
    d = fresh(due, "s1h")
    os.symlink(other, d + "/other")
    yaml_edit(d, "labca: {lab: {path: lab}}", "labca: {lab: {path: other}}")
    yaml_edit(d, "hybrid: true", "hybrid: false")
    rc, p2 = converge(d, "1h: hybrid not managed, new issuer")
    if rc == 2 and any("hybrid configuration" in u for u in p2.get("unfixed", [])):
        ok("1h: the same with the hybrid configuration and hybrid: false")
    elif rc is not None:
        bad("1h: expected drift 2 naming the hybrid configuration", json.dumps(p2, indent=1))
    # ... while with the same issuer the renewal answers the old name, and
    # the old certificate goes.
    d = fresh(due, "s1s")
    doc = lab(d)
    doc["servers"]["MS01"]["receive_connectors"].append(
        {"name": "Partner MS01", "fqdn": "ms01.contoso.lab",
         "tls_certificate_name": current_tls(doc)})
    save(d, doc)
    rc, p2 = converge(d, "1s: unmanaged connector, same issuer")
    if rc == 0:
        ok("1s: with the same issuer the renewal answers the unmanaged name; no drift")

    # 2. An administrator renewed by hand on MS01 (same names, key not
    # exportable): MS02 must not lose its only certificate; a new
    # exportable certificate is made for both.
    d = fresh(due, "s2")
    hand = twin(d, "MS01", "Contoso by hand", False, 200, bind=True)
    rc, p1, err = plan_json(d)
    kinds = [(s["kind"], s["server"]) for s in (p1 or {}).get("steps", [])]
    removes_ms02 = [s for s in (p1 or {}).get("steps", []) if s["kind"] == "remove" and s["server"] == "MS02"]
    if p1 and ("request", "MS01") in kinds and ("distribute", "MS02") in kinds:
        ok("2: a hand-made, unexportable certificate on one server: a new exportable one for every server")
    else:
        bad("2: expected a new certificate", json.dumps(p1, indent=1) if p1 else err)
    rc, p2 = converge(d, "2: hand-made on MS01")
    after = lab(d)
    ms02 = [c for c in after["servers"]["MS02"]["certificates"] if c["friendly_name"] == "excert mail"]
    if rc == 0 and ms02 and any(c["thumbprint"] == hand for c in after["servers"]["MS01"]["certificates"]):
        ok("2: MS02 always held a certificate; the hand-made one is left alone; no drift")
    elif rc is not None:
        bad("2: after apply", json.dumps(after["servers"]["MS02"]["certificates"], indent=1))
    # ... and with key: {exportable: false} in excert.yaml, exit 1 saying why.
    d = fresh(due, "s2x")
    twin(d, "MS01", "Contoso by hand", False, 200, bind=True)
    yaml_edit(d, "    renew_before: 30d", "    renew_before: 30d\n    key: {exportable: false}")
    rc, out, err = run(d, "plan")
    if rc == 65 and "needs an exportable key" in err:
        ok("2x: a key excert.yaml wants unexportable for two servers: refused with the reason (exit 65)")
    else:
        bad("2x: plan exit %d" % rc, out, err)

    # 3. drift tells the truth: a receive connector excert.yaml names does
    # not exist; hybrid: true without a hybrid configuration.
    d = fresh(due, "s3")
    run(d, "apply", "--auto-approve")
    doc = lab(d)
    doc["servers"]["MS02"]["receive_connectors"] = [
        c for c in doc["servers"]["MS02"]["receive_connectors"] if c["name"] != "Default Frontend MS02"]
    doc["hybrid"] = None
    save(d, doc)
    rc, out, err = run(d, "drift")
    if rc == 2 and "unfixed" in out and "Default Frontend MS02" in out and "no hybrid configuration" in out:
        ok("3: a missing connector and a missing hybrid configuration: drift exits 2, under unfixed")
    else:
        bad("3: drift exit %d" % rc, out, err)
    rc, out, err = run(d, "--format", "markdown", "drift")
    rcj, outj, errj = run(d, "--format", "json", "drift")
    try:
        unf = json.loads(outj)["unfixed"]
    except (ValueError, KeyError):
        unf = []
    if rc == 2 and "Unfixed" in out and rcj == 2 and len(unf) == 2:
        ok("3: the same in Markdown and JSON")
    else:
        bad("3: markdown exit %d, json exit %d, unfixed %r" % (rc, rcj, unf), out)

    # 4. One TlsCertificateName equality: a connector names the current
    # certificate with other spacing and case; the planner leaves it, and
    # the lab (as Exchange) refuses to remove what it names, alike.
    d = fresh(due, "s4")
    run(d, "apply", "--auto-approve")
    doc = lab(d)
    t = current_tls(doc)
    odd = t.replace(", ", ",").replace("CN=mail", "cn=MAIL")
    for c in doc["servers"]["MS01"]["receive_connectors"]:
        if c["name"] == "Default Frontend MS01":
            c["tls_certificate_name"] = odd
    save(d, doc)
    rc, out, err = run(d, "drift")
    if rc == 0:
        ok("4: '%s' names the same certificate for the planner" % odd)
    else:
        bad("4: drift exit %d" % rc, out, err)


# ---- the property test --------------------------------------------------

MUTATIONS = ["unmanaged-connector", "hybrid-unmanaged", "connector-gone",
             "hybrid-gone", "hand-made-unexportable", "hand-made-exportable",
             "other-issuer", "gone-on-ms02", "iis-drift", "smtp-off",
             "not-due", "tie"]


def mutate(d, m, rng, other):
    doc = lab(d)
    if m == "unmanaged-connector":
        srv = rng.choice(["MS01", "MS02"])
        doc["servers"][srv]["receive_connectors"].append(
            {"name": "Partner " + srv, "fqdn": srv.lower() + ".contoso.lab",
             "tls_certificate_name": current_tls(doc)})
    elif m == "connector-gone":
        srv = rng.choice(["MS01", "MS02"])
        doc["servers"][srv]["receive_connectors"] = [
            c for c in doc["servers"][srv]["receive_connectors"]
            if c["name"] != "Default Frontend " + srv]
    elif m == "hybrid-gone":
        doc["hybrid"] = None
    elif m == "gone-on-ms02":
        s = doc["servers"]["MS02"]
        c = [x for x in s["certificates"] if x["friendly_name"] == "excert mail"][0]
        s["certificates"].remove(c)
        s["iis"]["443"] = s["iis"]["444"]
    elif m == "iis-drift":
        s = doc["servers"][rng.choice(["MS01", "MS02"])]
        s["iis"]["443"] = s["iis"]["444"]
    elif m == "smtp-off":
        s = doc["servers"][rng.choice(["MS01", "MS02"])]
        for x in s["certificates"]:
            if x["friendly_name"] == "excert mail":
                x["services"] = ["IIS"]
    save(d, doc)
    if m == "hybrid-unmanaged":
        yaml_edit(d, "hybrid: true", "hybrid: false")
    elif m == "other-issuer":
        if not os.path.exists(d + "/other"):
            os.symlink(other, d + "/other")
        yaml_edit(d, "labca: {lab: {path: lab}}", "labca: {lab: {path: other}}")
    elif m == "hand-made-unexportable":
        twin(d, rng.choice(["MS01", "MS02"]), "Contoso by hand", False, rng.choice([0, 100]), bind=rng.random() < 0.5)
    elif m == "hand-made-exportable":
        twin(d, rng.choice(["MS01", "MS02"]), "Contoso by hand", True, rng.choice([0, 100]), bind=rng.random() < 0.5)
    elif m == "not-due":
        yaml_edit(d, "renew_before: 30d", "renew_before: 5d")
    elif m == "tie":
        twin(d, rng.choice(["MS01", "MS02"]), "excert mail", True, 0)


def prop(due, other, n, seed_value):
    rng = random.Random(seed_value)
    good = 0
    for i in range(n):
        ms = rng.sample(MUTATIONS, rng.randint(1, 3))
        d = fresh(due, "p%d" % i)
        for m in ms:
            mutate(d, m, rng, other)
        before = failed
        rc, p2 = converge(d, "state %d (seed %d): %s" % (i, seed_value, ", ".join(ms)))
        if failed == before:
            good += 1
        shutil.rmtree(d, ignore_errors=True)
    if good == n:
        ok("property: %d generated states (seed %d) planned, applied without a guard failing, and converged" % (n, seed_value))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    due = seed("due")
    other = os.path.join(WORK, "other")
    if not os.path.exists(other):
        rc, out, err = run(WORK, "lab", "init", other, "--servers", "1",
                           "--organization", "fabrikam")
        if rc != 0:
            raise SystemExit("lab init other: " + err)
    if sys.argv[3] == "cases":
        situations(due, other)
    else:
        prop(due, other, int(sys.argv[4]), int(sys.argv[5]))
    print("%s: %d passed, %d failed" % ("plan.stuck" if sys.argv[3] == "cases" else "plan.property", passed, failed))
    sys.exit(1 if failed else 0)


main()
