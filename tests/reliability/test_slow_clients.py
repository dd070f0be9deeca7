"""Slowloris over a raw socket against the real server: a request head that never completes is cut off
(limits.header_timeout_seconds, server/httpprotocol.py) with a JSON 408, while normal keep-alive traffic works."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from tests.support.reliability.common import error_shape_ok, launch, log_problems
from tests.support.reliability.kill import FAST_START

pytestmark = pytest.mark.slow
HEADER_TIMEOUT_S = 2.0


def _drip(sock: socket.socket, data: bytes, max_bytes: int) -> bytes:
    """Send `data` a byte at a time (0.25 s apart), then keep dripping header bytes; what the server answered
    once it hung up (b"" if it closed silently). Fails if it is still connected after `max_bytes` bytes."""
    sock.settimeout(0.25)
    for byte in (data + b"a" * max_bytes)[:max_bytes]:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return b""
        while answer and not answer.endswith(b"}"):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
        return answer
    else:
        pytest.fail(f"still connected after {max_bytes} bytes dripped")
    return b""


def test_slowloris_head_is_cut_off_and_keep_alive_still_works(tmp_path: Path) -> None:
    overrides = {**FAST_START, "limits": {"header_timeout_seconds": HEADER_TIMEOUT_S}}
    server = launch(tmp_path, "slow", overrides=overrides)
    try:
        # A head trickled byte by byte: a 408 in the API's error shape, then the connection closes.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            answer = _drip(sock, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", max_bytes=200)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:200]
        assert error_shape_ok(body) and "request_id" in json.loads(body)
        # A connection that never sends a byte is closed without an answer.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.settimeout(HEADER_TIMEOUT_S * 10)
            assert sock.recv(1024) == b""
        # Kept-alive: a prompt request is served; the next one on the same connection is trickled and cut off.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            first = b""
            while b"\r\n\r\n" not in first:
                first += sock.recv(65536)
            head, _, body = first.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            while len(body) < length:
                body += sock.recv(65536)
            answer = _drip(sock, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", max_bytes=200)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200
        log = server.log()
    finally:
        server.stop()
    assert not log_problems(log), log_problems(log)
    assert "limits.header_timeout_seconds" in log
