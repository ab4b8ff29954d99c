"""Tries to reach the internet: TCP, UDP, DNS, HTTP, IPv6. Reports every attempt."""

import json
import os
import socket
import urllib.request


def attempt(action):
    try:
        return "succeeded: " + str(action())[:100]
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:200]


def tcp(host, port, family=socket.AF_INET):
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(3)
        sock.connect((host, port))
        return sock.getpeername()


def udp_dns_query(host):
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04pypi\x03org\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(query, (host, 53))
        return sock.recvfrom(512)


attempts = {
    "tcp 1.1.1.1:443": attempt(lambda: tcp("1.1.1.1", 443)),
    "tcp 8.8.8.8:53": attempt(lambda: tcp("8.8.8.8", 53)),
    "udp 8.8.8.8:53 query": attempt(lambda: udp_dns_query("8.8.8.8")),
    "udp 1.1.1.1:53 query": attempt(lambda: udp_dns_query("1.1.1.1")),
    "dns pypi.org": attempt(lambda: socket.getaddrinfo("pypi.org", 443)),
    "dns huggingface.co": attempt(lambda: socket.gethostbyname("huggingface.co")),
    "http pypi.org": attempt(
        lambda: urllib.request.urlopen("https://pypi.org/simple/", timeout=3).status
    ),
    "tcp6 2606:4700:4700::1111:443": attempt(
        lambda: tcp("2606:4700:4700::1111", 443, socket.AF_INET6)
    ),
}
interfaces = sorted(os.listdir("/sys/class/net"))
attempts["interfaces other than lo"] = (
    "failed: only loopback" if interfaces == ["lo"] else f"succeeded: {interfaces}"
)
print("CASE-REPORT " + json.dumps({"phase": "train", "attempts": attempts}), flush=True)
with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"rate": 0.5}, handle)
