#!/usr/bin/env python3
"""probe.py HOST PORT [TIMEOUT] -- one TCP connection, as a pod of the lab opens it.

Sends `GET /pod` and prints one line:
  answered BODY      the server answered; BODY is the file `pod` it serves (its pod name)
  refused SECONDS    connection refused (a TCP reset or an ICMP port unreachable, which is
                     what an iptables `-j REJECT` sends), after SECONDS
  timeout SECONDS    no answer within TIMEOUT (default 2) seconds: dropped somewhere
  error MESSAGE      anything else (no route to host, ...)
Always exits 0: tests/lab/run.sh judges the line.
"""

import socket
import sys
import time


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(b"GET /pod HTTP/1.0\r\nHost: lab\r\n\r\n")
            response = b""
            while chunk := conn.recv(4096):
                response += chunk
        status, _, rest = response.partition(b"\r\n")
        body = rest.partition(b"\r\n\r\n")[2].decode(errors="replace").strip()
        if b" 200 " not in status:
            print("error", status.decode(errors="replace"))
        else:
            print("answered", body)
    except ConnectionRefusedError:
        print(f"refused {time.monotonic() - start:.3f}")
    except (socket.timeout, TimeoutError):
        print(f"timeout {time.monotonic() - start:.3f}")
    except OSError as error:
        print("error", error)


if __name__ == "__main__":
    main()
