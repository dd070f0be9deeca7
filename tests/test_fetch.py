"""Audio by URL: real downloads from a loopback server, and SSRF refusals (no traffic leaves 127.0.0.1)."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from pathlib import Path

import pytest

from server.jobs.config import FetchConfig
from server.jobs.fetch import FetchError, fetch_audio, filename_for
from server.jobs.ssrf import UrlGuard, UrlRefused, blocked_reason
from tests.helpers import DATA
from tests.support.loopback import Hit, LoopbackServer, Reply

CLIP = DATA / "asr_en" / "jfk.flac"
LOOPBACK = ["127.0.0.1/32"]


def _routes(hit: Hit) -> Reply:
    audio = CLIP.read_bytes()
    if hit.path == "/clips/jfk%20speech.flac":
        return 200, {"Content-Type": "audio/flac"}, audio
    if hit.path == "/download":
        return 200, {"Content-Disposition": "attachment; filename*=UTF-8''inaugural%20address.flac"}, audio
    if hit.path == "/hop":
        return 302, {"Location": "/clips/jfk%20speech.flac"}, b""
    if hit.path == "/loop":
        return 302, {"Location": "/loop"}, b""
    if hit.path == "/to-private":
        return 302, {"Location": "http://10.20.30.40/secret.wav"}, b""
    if hit.path == "/to-metadata":
        return 307, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
    if hit.path == "/chunked":
        # No Content-Length: the limit must hold while streaming.
        return 200, {"Transfer-Encoding": "chunked"}, audio
    if hit.path == "/slow":
        time.sleep(2.0)
        return 200, {}, audio
    if hit.path == "/empty":
        return 200, {}, b""
    return 404, {}, b"not here"


@pytest.fixture(scope="module")
def server() -> LoopbackServer:
    if not CLIP.exists():
        pytest.skip(f"shared data missing: {CLIP}")
    with LoopbackServer(_routes) as srv:
        yield srv


def _fetch(url: str, allow: list[str] | None = None, guard: UrlGuard | None = None, **kw: object) -> object:
    config = FetchConfig(allow=list(allow or []), **kw)  # type: ignore[arg-type]
    return asyncio.run(fetch_audio(url, config, guard=guard))


def _refused(url: str, allow: list[str] | None = None, guard: UrlGuard | None = None, **kw: object) -> str:
    with pytest.raises(FetchError) as info:
        _fetch(url, allow, guard, **kw)
    return info.value.message


def test_fetch_allow_listed_loopback_file(server: LoopbackServer, tmp_path: Path) -> None:
    fetched = _fetch(f"{server.base}/clips/jfk%20speech.flac", LOOPBACK)
    try:
        assert fetched.path.read_bytes() == CLIP.read_bytes()
        assert fetched.size == CLIP.stat().st_size
        assert fetched.filename == "jfk speech.flac"
        assert fetched.content_type == "audio/flac"
    finally:
        fetched.discard()
    assert not fetched.path.exists()


def test_filename_from_content_disposition(server: LoopbackServer) -> None:
    fetched = _fetch(f"{server.base}/download", LOOPBACK)
    fetched.discard()
    assert fetched.filename == "inaugural address.flac"


def test_relative_redirect_is_followed_and_rechecked(server: LoopbackServer) -> None:
    fetched = _fetch(f"{server.base}/hop", LOOPBACK)
    fetched.discard()
    assert fetched.final_url.endswith("/clips/jfk%20speech.flac")
    assert fetched.filename == "jfk speech.flac"


def test_refuses_loopback_without_allow_list(server: LoopbackServer) -> None:
    before = len(server.hits)
    message = _refused(f"{server.base}/clips/jfk%20speech.flac")
    assert "loopback" in message and "127.0.0.1" in message
    # Refused before connecting: the server never saw the request.
    assert len(server.hits) == before


def test_refuses_cloud_metadata_address() -> None:
    message = _refused("http://169.254.169.254/latest/meta-data/")
    assert "link-local" in message and "169.254.169.254" in message


def test_refuses_ipv6_loopback() -> None:
    assert "loopback" in _refused("http://[::1]:9/clip.wav")


def test_refuses_ipv4_mapped_private() -> None:
    message = _refused("http://[::ffff:10.0.0.5]/clip.wav")
    assert "private" in message and "::ffff:a00:5" in message


def test_refuses_redirect_to_private_addresses(server: LoopbackServer) -> None:
    message = _refused(f"{server.base}/to-private", LOOPBACK)
    assert "private address (10.20.30.40)" in message
    assert "link-local" in _refused(f"{server.base}/to-metadata", LOOPBACK)


def test_refuses_redirect_loop(server: LoopbackServer) -> None:
    assert "redirected more than 3 times" in _refused(f"{server.base}/loop", LOOPBACK, max_redirects=3)


def test_refuses_name_resolving_to_private_address() -> None:
    async def fake_dns(host: str, port: int) -> list[str]:
        return {"media.example.test": ["10.0.0.5"], "mixed.example.test": ["93.184.215.14", "192.168.1.9"]}[host]

    guard = UrlGuard([], resolver=fake_dns)
    assert "private address (10.0.0.5); refused" in _refused("http://media.example.test/a.wav", guard=guard)
    # One private answer among public ones is enough to refuse.
    assert "192.168.1.9" in _refused("https://mixed.example.test/a.wav", guard=guard)


def test_refuses_localhost_via_system_dns() -> None:
    assert "loopback" in _refused("http://localhost:9/a.wav")


def test_allow_listed_name_is_pinned_with_host_header(server: LoopbackServer) -> None:
    async def fake_dns(host: str, port: int) -> list[str]:
        assert host == "audio.internal.test"
        return ["127.0.0.1"]

    guard = UrlGuard(["audio.internal.test"], resolver=fake_dns)
    fetched = _fetch(f"http://audio.internal.test:{server.port}/clips/jfk%20speech.flac", guard=guard)
    fetched.discard()
    assert fetched.size == CLIP.stat().st_size
    assert server.hits[-1].headers["host"] == f"audio.internal.test:{server.port}"


def test_size_limit_enforced(server: LoopbackServer) -> None:
    limit = 10_000
    assert "download exceeds 10000 bytes" in _refused(
        f"{server.base}/clips/jfk%20speech.flac", LOOPBACK, max_bytes=limit
    )
    assert "download exceeds" in _refused(f"{server.base}/chunked", LOOPBACK, max_bytes=limit)


def test_errors_that_say_why(server: LoopbackServer) -> None:
    assert "HTTP 404" in _refused(f"{server.base}/missing.wav", LOOPBACK)
    assert "empty body" in _refused(f"{server.base}/empty", LOOPBACK)
    assert "http or https" in _refused("ftp://example.com/a.wav")
    assert "http or https" in _refused("file:///etc/passwd")
    assert "did not finish within 0.5 s" in _refused(f"{server.base}/slow", LOOPBACK, total_timeout_s=0.5)


def test_blocked_reason_ranges() -> None:
    cases = {
        "127.0.0.1": "loopback",
        "10.1.2.3": "private",
        "172.16.0.1": "private",
        "192.168.0.1": "private",
        "169.254.169.254": "link-local",
        "fe80::1": "link-local",
        "fc00::1": "private",
        "224.0.0.1": "multicast",
        "0.0.0.0": "unspecified",
        "240.0.0.1": "reserved",
        "100.64.0.1": "non-public",
        "2002:a00:1::": "IPv4-embedded private",
    }
    for address, reason in cases.items():
        assert blocked_reason(ipaddress.ip_address(address)) == reason, address
    assert blocked_reason(ipaddress.ip_address("93.184.215.14")) is None


def test_guard_rejects_bad_allow_list_entry() -> None:
    with pytest.raises(ValueError):
        UrlGuard(["not a host!"])
    with pytest.raises(UrlRefused):
        asyncio.run(UrlGuard([]).check("http:///nohost"))


def test_filename_is_a_base_name() -> None:
    import httpx

    assert filename_for(httpx.URL("http://x/a/"), 'attachment; filename="../../etc/passwd"') == "passwd"
    assert filename_for(httpx.URL("http://x/"), None) == "audio"
