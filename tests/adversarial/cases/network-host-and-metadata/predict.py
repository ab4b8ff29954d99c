"""In the predict phase, tries the host's bridge address, the Docker API ports and the
cloud metadata services; reports every attempt."""

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
        sock.settimeout(2)
        sock.connect((host, port))
        return sock.getpeername()


def http(url):
    request = urllib.request.Request(url, headers={"Metadata-Flavor": "Google", "Metadata": "true"})
    return urllib.request.urlopen(request, timeout=2).read(200)


def raw_socket():
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        return sock.fileno()


def report():
    attempts = {}
    for host in ("172.17.0.1", "172.18.0.1", "192.168.65.1", "10.0.2.2"):
        for port in (22, 80, 2375, 2376):
            attempts[f"tcp {host}:{port}"] = attempt(lambda host=host, port=port: tcp(host, port))
    attempts["http 169.254.169.254 (aws/azure/gcp metadata)"] = attempt(
        lambda: http("http://169.254.169.254/latest/meta-data/")
    )
    attempts["http 100.100.100.200 (alibaba metadata)"] = attempt(
        lambda: http("http://100.100.100.200/latest/meta-data/")
    )
    attempts["http [fd00:ec2::254] (aws ipv6 metadata)"] = attempt(
        lambda: http("http://[fd00:ec2::254]/latest/meta-data/")
    )
    attempts["dns metadata.google.internal"] = attempt(
        lambda: socket.gethostbyname("metadata.google.internal")
    )
    attempts["dns host.docker.internal"] = attempt(
        lambda: socket.gethostbyname("host.docker.internal")
    )
    attempts["raw packet socket"] = attempt(raw_socket)
    print("CASE-REPORT " + json.dumps({"phase": "predict", "attempts": attempts}), flush=True)


def load(model_dir):
    report()
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)["rate"]


def predict(model, frame):
    return [model] * len(frame)
