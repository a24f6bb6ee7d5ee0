"""End to end: a real ``tensorboard`` server reads what SummaryWriter wrote and serves it over HTTP."""
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import plait
import plait.nn as nn
from plait.tensorboard import SummaryWriter

_DEADLINE_S = 60


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.read().decode()


def _poll(server, log, port, path, ready):
    """GET ``path`` until ``ready(body)`` holds; fail after the shared deadline."""
    deadline = time.monotonic() + _DEADLINE_S
    last = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"tensorboard exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            body = _get(port, path)
            if ready(body):
                return body
            last = body
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"tensorboard did not serve {path} within {_DEADLINE_S}s; last answer: {last!r}")


def test_tensorboard_server_serves_scalars_and_graph(tmp_path):
    logdir = tmp_path / "logdir"
    with SummaryWriter(logdir) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_graph(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), plait.randn(2, 4))

    port = _free_port()
    log = tmp_path / "tensorboard-server.log"
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1",
             "--port", str(port), "--load_fast=false", "--reload_interval", "1"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        body = _poll(server, log, port, "/data/plugin/scalars/scalars?run=.&tag=loss",
                     lambda b: len(json.loads(b)) == 5)
        points = json.loads(body)  # [[wall_time, step, value], ...]
        assert [p[1] for p in points] == [0, 1, 2, 3, 4]
        assert [p[2] for p in points] == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])

        graph = _poll(server, log, port, "/data/plugin/graphs/graph?run=.", lambda b: "ReluBackward0" in b)
        assert 'name: "Sequential/ReLU[1]/ReluBackward0"' in graph
        assert 'input: "Sequential/Linear[0]/AddmmBackward0"' in graph
        assert 'input: "input/input.0"' in graph
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
