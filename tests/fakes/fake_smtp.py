#!/usr/bin/env python3
"""The SMTP fake (e-mail): STARTTLS, AUTH PLAIN/LOGIN, NOOP, MAIL/RCPT/DATA."""

import base64
import binascii
import copy
import socketserver
import ssl
import threading
import time
import uuid

from fakebase import HOST, Provider, hold


class Smtp:
    """An SMTP server: STARTTLS (the same certificate), then AUTH PLAIN/LOGIN, NOOP, MAIL/RCPT/DATA.

    data: {"users": {user: password}, "requireAuth": true}
    AUTH and MAIL before STARTTLS are refused (530), as a submission server does.  Each session is logged:
    {"commands": [...], "tls", "auth" (the user, when AUTH succeeded), "authFailed", "messages": [...]}"""

    name = "smtp"

    def __init__(self, fakes, ctx):
        self.fakes, self.ctx = fakes, ctx
        self.lock = threading.RLock()
        self.data = self.initial()
        self.rules = []
        self.base_url = None

    def initial(self):
        return {"users": {}, "requireAuth": True}

    prepare = Provider.prepare
    add_rule = Provider.add_rule
    take_rule = Provider.take_rule

    def start(self):
        fake = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                fake.session(self.request)

        class S(socketserver.ThreadingTCPServer):
            daemon_threads = True
            block_on_close = False
            allow_reuse_address = True
            request_queue_size = 128

        self.server = S((HOST, 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def session(self, sock):
        sock.settimeout(30)
        log = {"commands": [], "tls": False, "auth": None, "authFailed": False, "messages": [], "quit": False}
        entry = self.fakes.log_event(self.name, {"session": log})
        rule = self.take_rule("", "", "")
        if rule:
            entry["rule"] = rule
        mode = rule["mode"] if rule else None
        if mode == "slow":
            time.sleep(float(rule.get("seconds", 5)))
        if mode == "hold":
            log["hold"] = hold(self, rule, sock)
            self.fakes.log_event(self.name, {"hold": log["hold"], "request": entry["seq"]})
            if log["hold"] == "abandoned":
                sock.close()
                return
        if mode == "close":
            sock.close()
            return
        state = {"sock": sock, "rfile": sock.makefile("rb")}

        def send(line):
            state["sock"].sendall((line + "\r\n").encode())

        def readline():
            line = state["rfile"].readline(65536)
            if not line:
                raise EOFError
            return line.decode("utf-8", "replace").rstrip("\r\n")

        try:
            if mode in ("500", "503"):
                send("421 4.3.2 Service not available, closing transmission channel")
                return
            send("220 smtp.fake.test ESMTP ready")
            with self.lock:
                data = copy.deepcopy(self.data)
            starttls = mode != "nostarttls"
            authed, mail_from, rcpts = None, None, []
            while True:
                line = readline()
                verb = line.split(" ", 1)[0].upper()
                log["commands"].append(line if verb != "AUTH" else line.split(" ")[0] + " " +
                                       (line.split(" ")[1] if len(line.split(" ")) > 1 else ""))
                if verb in ("EHLO", "HELO"):
                    caps = ["smtp.fake.test Hello", "PIPELINING", "SIZE 10240000", "8BITMIME"]
                    if starttls and not log["tls"]:
                        caps.append("STARTTLS")
                    if log["tls"] or not starttls:
                        caps.append("AUTH PLAIN LOGIN")
                    if verb == "HELO":
                        send("250 smtp.fake.test")
                        continue
                    for c in caps[:-1]:
                        send("250-" + c)
                    send("250 " + caps[-1])
                elif verb == "STARTTLS":
                    if not starttls or log["tls"]:
                        send("502 5.5.1 Unrecognized command.")
                        continue
                    send("220 2.0.0 Ready to start TLS")
                    try:
                        tls = self.ctx.wrap_socket(state["sock"], server_side=True)
                    except (ssl.SSLError, OSError) as e:
                        log["tlsError"] = str(e)
                        return
                    state["sock"], state["rfile"] = tls, tls.makefile("rb")
                    log["tls"] = True
                    authed = None
                elif verb == "AUTH":
                    if starttls and not log["tls"]:
                        send("530 5.7.0 Must issue a STARTTLS command first")
                        continue
                    args = line.split(" ")[1:]
                    mech = args[0].upper() if args else ""
                    user = password = None
                    try:
                        if mech == "PLAIN":
                            blob = args[1] if len(args) > 1 else None
                            if blob is None:
                                send("334 ")
                                blob = readline()
                            fields = base64.b64decode(blob).decode().split("\0")
                            user, password = fields[1], fields[2]
                        elif mech == "LOGIN":
                            if len(args) > 1:
                                user = base64.b64decode(args[1]).decode()
                            else:
                                send("334 VXNlcm5hbWU6")
                                user = base64.b64decode(readline()).decode()
                            send("334 UGFzc3dvcmQ6")
                            password = base64.b64decode(readline()).decode()
                        else:
                            send("504 5.5.4 Unrecognized authentication type")
                            continue
                    except (binascii.Error, UnicodeDecodeError, IndexError):
                        send("501 5.5.2 Cannot decode response")
                        continue
                    log["authMechanism"] = mech
                    if mode != "401" and data["users"].get(user) == password:
                        authed = user
                        log["auth"] = user
                        send("235 2.7.0 Authentication successful")
                    else:
                        log["authFailed"] = True
                        send("535 5.7.8 Authentication credentials invalid")
                elif verb == "NOOP":
                    log["noop"] = True
                    send("250 2.0.0 OK")
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    send("250 2.0.0 OK")
                elif verb == "MAIL":
                    if starttls and not log["tls"]:
                        send("530 5.7.0 Must issue a STARTTLS command first")
                    elif data.get("requireAuth", True) and not authed:
                        send("530 5.7.0 Authentication required")
                    else:
                        mail_from, rcpts = line[5:].strip(), []
                        send("250 2.1.0 Sender OK")
                elif verb == "RCPT":
                    if mail_from is None:
                        send("503 5.5.1 Error: need MAIL command")
                    else:
                        rcpts.append(line[5:].strip())
                        send("250 2.1.5 Recipient OK")
                elif verb == "DATA":
                    if not rcpts:
                        send("503 5.5.1 Error: need RCPT command")
                        continue
                    send("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while True:
                        l = readline()
                        if l == ".":
                            break
                        lines.append(l[1:] if l.startswith("..") else l)
                    log["messages"].append({"from": mail_from, "to": rcpts, "data": "\r\n".join(lines)})
                    mail_from, rcpts = None, []
                    if mode == "lose":  # taken (queued for delivery), and the 250 that says so never reaches the client
                        log["lost"] = hold(self, rule, state["sock"])
                        self.fakes.log_event(self.name, {"lost": log["lost"], "request": entry["seq"]})
                        return
                    send("250 2.0.0 OK: queued as %s" % uuid.uuid4().hex[:10].upper())
                elif verb == "QUIT":
                    log["quit"] = True
                    send("221 2.0.0 Bye")
                    return
                else:
                    send("502 5.5.2 Error: command not recognized")
        except (EOFError, OSError, ssl.SSLError):
            return
        finally:
            try:
                state["sock"].close()
            except OSError:
                pass
