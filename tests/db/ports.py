"""Free loopback ports for the servers the tests and benchmarks start.

A port the kernel hands out for bind(("127.0.0.1", 0)) comes from the
ephemeral range, the same range it draws from for the local end of every
outgoing connection.  Between the moment a test picks such a port and the
moment its server binds it, a client socket (a pool connection to the
PostgreSQL server, say) can take it, and the server fails with "Address
already in use".  So ports are drawn at random from below the ephemeral
range, where the kernel never puts a client socket, and checked free.

As a script: prints one such port (bench/run uses it).
"""

import random
import socket

FLOOR = 20000


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    low = _ephemeral_low()
    if low - FLOOR >= 1000:
        for _ in range(200):
            port = random.randrange(FLOOR, low)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    print(free_port())
