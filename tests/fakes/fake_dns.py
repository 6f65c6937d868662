"""A DNS server for TXT questions (docs/sites.md, a domain's DNS proof): UDP on 127.0.0.1, answers as an
authoritative server would (RFC 1035): the TXT records published for a name (each a string, or a list of
character-strings that a reader joins), NOERROR with no answer for another type of a known name, NXDOMAIN for an
unknown name, FORMERR for what is not one question. Standard library only.

    dns = DnsServer(); dns.start()
    dns.publish("_slipway-challenge.example.test", "token")     # SLIPWAY_DNS_RESOLVER=127.0.0.1:<dns.port>
    dns.seen  # [(name, type)] of every question
"""

import socket
import struct
import threading

TXT, IN = 16, 1
NOERROR, FORMERR, NXDOMAIN = 0, 1, 3


def parse_question(packet):
    """(id, flags, name, qtype, qclass, end) of a one-question query; ValueError when it is not one."""
    if len(packet) < 12:
        raise ValueError("short header")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", packet[:12])
    if flags & 0x8000 or qd != 1 or an or ns:
        raise ValueError("not one question")
    labels, at = [], 12
    while True:
        if at >= len(packet):
            raise ValueError("name runs past the packet")
        n = packet[at]
        at += 1
        if n == 0:
            break
        if n > 63 or at + n > len(packet):
            raise ValueError("bad label")  # a query has no compression pointers
        labels.append(packet[at:at + n].decode("ascii").lower())
        at += n
    if at + 4 > len(packet):
        raise ValueError("no type and class")
    qtype, qclass = struct.unpack("!HH", packet[at:at + 4])
    return qid, flags, ".".join(labels), qtype, qclass, at + 4


def txt_rdata(value):
    chunks = [value] if isinstance(value, str) else list(value)
    out = b""
    for c in chunks:
        raw = c.encode("utf-8")
        for i in range(0, max(len(raw), 1), 255):
            part = raw[i:i + 255]
            out += bytes([len(part)]) + part
    return out


class DnsServer:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.records = {}  # name -> [value]
        self.seen = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop = True
        self.sock.sendto(b"", ("127.0.0.1", self.port))  # wakes recvfrom
        self._thread.join(5)
        self.sock.close()

    def publish(self, name, *values):
        self.records.setdefault(name.lower().rstrip("."), []).extend(values)

    def answer(self, packet):
        try:
            qid, flags, name, qtype, qclass, end = parse_question(packet)
        except (ValueError, UnicodeDecodeError):
            qid = struct.unpack("!H", packet[:2])[0] if len(packet) >= 2 else 0
            return struct.pack("!6H", qid, 0x8000 | FORMERR, 0, 0, 0, 0)
        self.seen.append((name, qtype))
        rd = flags & 0x0100
        question = packet[12:end]
        if name not in self.records:
            return struct.pack("!6H", qid, 0x8400 | rd | NXDOMAIN, 1, 0, 0, 0) + question
        answers = [] if qtype != TXT or qclass != IN else self.records[name]
        body = b""
        for value in answers:
            rdata = txt_rdata(value)
            body += struct.pack("!HHHIH", 0xC00C, TXT, IN, 60, len(rdata)) + rdata
        return struct.pack("!6H", qid, 0x8400 | rd | NOERROR, 1, len(answers), 0, 0) + question + body

    def _serve(self):
        while not self._stop:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if self._stop:
                return
            if packet:
                self.sock.sendto(self.answer(packet), peer)
