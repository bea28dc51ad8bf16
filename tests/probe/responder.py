# SPDX-License-Identifier: MIT
"""Small servers on 127.0.0.1 for the probe tests, one mode per process.

responder.py MODE PORT [CERT KEY]
  silent         accepts and never says a word
  notls          answers whatever it reads with a plain HTTP 400
  smtp-plain     SMTP whose EHLO offers no STARTTLS
  smtp-554       SMTP that refuses at its greeting
  smtp-454       SMTP that offers STARTTLS and then refuses it
  smtp-inject    SMTP that sends a line more with its answer to STARTTLS
  imap           IMAP with STARTTLS (real TLS, CERT and KEY)
  pop3           POP3 with STLS (real TLS)
  imaps          TLS at once, then an IMAP greeting
"""
import socket
import ssl
import sys
import threading

mode, port = sys.argv[1], int(sys.argv[2])
ctx = None
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])


def lines(f):
    for raw in f:
        yield raw.decode("ascii", "replace").rstrip("\r\n")


def tls(conn):
    try:
        s = ctx.wrap_socket(conn, server_side=True)
        s.recv(1)  # until the client goes away
    except (OSError, ssl.SSLError):
        pass


def serve(conn):
    f = conn.makefile("rb")
    send = lambda s: conn.sendall(s.encode())
    if mode == "silent":
        conn.recv(65536)
        threading.Event().wait(60)
    elif mode == "notls":
        conn.recv(65536)
        send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    elif mode.startswith("smtp"):
        if mode == "smtp-554":
            send("554 5.7.1 no service for you\r\n")
            return
        send("220 mx.example.test ESMTP test\r\n")
        for line in lines(f):
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                ext = "" if mode == "smtp-plain" else "250-STARTTLS\r\n"
                send("250-mx.example.test\r\n250-SIZE 1000\r\n" + ext + "250 PIPELINING\r\n")
            elif verb == "STARTTLS" and mode == "smtp-454":
                send("454 4.7.0 TLS not available due to local problem\r\n")
            elif verb == "STARTTLS":
                send("220 2.0.0 Ready\r\n250 injected\r\n")
            else:
                send("500 what\r\n")
    elif mode == "imap":
        send("* OK IMAP4rev1 test ready\r\n")
        for line in lines(f):
            tag, _, cmd = line.partition(" ")
            if cmd.upper() == "CAPABILITY":
                send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n%s OK done\r\n" % tag)
            elif cmd.upper() == "STARTTLS":
                send("%s OK Begin TLS negotiation now\r\n" % tag)
                tls(conn)
                return
    elif mode == "pop3":
        send("+OK POP3 test ready\r\n")
        for line in lines(f):
            if line.upper() == "CAPA":
                send("+OK\r\nUSER\r\nSTLS\r\nUIDL\r\n.\r\n")
            elif line.upper() == "STLS":
                send("+OK Begin TLS negotiation\r\n")
                tls(conn)
                return
    elif mode == "imaps":
        tls(conn)


def handle(conn):
    try:
        serve(conn)
    except OSError:
        pass
    finally:
        conn.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(512)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
