"""Live socket protocol against a real server with raw `websockets`: handshake, control frames, order, codecs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import websockets
import yaml
from websockets.exceptions import InvalidStatus

from tests.helpers import JFK, REPO, ServerProcess, load_pcm, start_server
from tests.support.live import (
    CLIP,
    LEGACY,
    LIVE,
    collect_until,
    connect,
    pcm16,
    send_audio,
    url,
    wait_no_sessions,
)

pytestmark = pytest.mark.slow


def reject_status(target: str, headers: dict[str, str]) -> tuple[int, dict]:
    async def go() -> tuple[int, dict]:
        with pytest.raises(InvalidStatus) as info:
            async with websockets.connect(target, additional_headers=headers, open_timeout=30):
                pass
        response = info.value.response
        return response.status_code, json.loads(response.body or b"{}")

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"model": None}, 400, "model"),
        ({"model": "whisper"}, 400, "model"),
        ({"model": "pulse-pro"}, 400, "Pulse Pro has no streaming transport"),
        ({"eou_timeout_ms": "0"}, 400, "eou_timeout_ms"),
        ({"sample_rate": "12345"}, 400, "sample_rate"),
        ({"encoding": "flac"}, 400, "encoding"),
        ({"keywords": ""}, 400, "keywords"),
        ({"keywords": '["I:20,smiling:26"]'}, 400, "keywords"),
        ({"keywords": "Acme:-2"}, 400, "keywords"),
        ({"max_words": "0"}, 400, "max_words"),
        ({"language": "xx"}, 400, "language"),
    ],
)
def test_handshake_rejections_before_upgrade(server: ServerProcess, params: dict, status: int, needle: str) -> None:
    code, body = reject_status(url(server, **params), {"Authorization": f"Bearer {server.api_key}"})
    assert code == status
    assert needle in body["error"]
    assert body["request_id"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sk_wrong"}, {"Authorization": "Token x"}])
def test_bad_key_is_401_before_upgrade(server: ServerProcess, headers: dict[str, str]) -> None:
    for path in (LIVE, LEGACY):
        code, body = reject_status(url(server, path), headers)
        assert code == 401
        assert body["error"]


def test_token_query_parameter_is_accepted(server: ServerProcess) -> None:
    async def go() -> dict:
        async with websockets.connect(url(server, token=server.api_key), open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "keepalive"}))
            return json.loads(await ws.recv())

    assert asyncio.run(go()) == {"type": "pong"}


def test_full_session_message_shapes_and_order(server: ServerProcess) -> None:
    """Partials, a finalize answer, then close_stream: one is_last message, then close 1000."""
    pcm = load_pcm(JFK)

    async def go() -> tuple[list[dict], int | None]:
        target = url(server, word_timestamps="true", sentence_timestamps="true", full_transcript="true",
                     vad_events="true")
        async with connect(server, target) as ws:
            await send_audio(ws, pcm16(pcm), frame=640)
            await ws.send(json.dumps({"type": "finalize"}))
            messages = await collect_until(ws, lambda m: m.get("from_finalize") is True)
            await ws.send(json.dumps({"type": "close_stream", "is_last": True}))  # extra keys are ignored
            messages += await collect_until(ws, lambda m: m.get("is_last") is True)
            with pytest.raises(websockets.ConnectionClosedOK):
                await asyncio.wait_for(ws.recv(), 10)
            return messages, ws.close_code

    messages, close_code = asyncio.run(go())
    assert close_code == 1000
    transcriptions = [m for m in messages if m["type"] == "transcription"]
    session_ids = {m["session_id"] for m in messages}
    assert len(session_ids) == 1
    for m in transcriptions:
        assert m["status"] == "success" and m["transcript"] == m["transcription"]
        assert isinstance(m["is_final"], bool) and isinstance(m["is_last"], bool)
        assert "full_transcript" in m
    finals = [m for m in transcriptions if m["is_final"]]
    assert [m["is_last"] for m in finals][-1] is True and sum(m["is_last"] for m in finals) == 1
    assert sum(1 for m in finals if m.get("from_finalize")) == 1
    for m in finals:
        assert m["language"] == "en" and m["languages"] == ["en"]
        assert "words" in m and "utterances" in m and "from_finalize" in m
    text = " ".join(m["transcript"] for m in finals).lower()
    assert "country" in text and "americans" in text
    words = [w for m in finals for w in m["words"]]
    assert words and all(set(w) == {"word", "start", "end", "confidence"} for w in words)
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and words[-1]["end"] <= len(pcm) / 16000 + 0.5
    # words sit on the session timeline: the clip's last words are several seconds in
    assert words[-1]["start"] > 5.0
    assert all(m["is_final"] is False for m in transcriptions if "words" not in m)
    kinds = [m["type"] for m in messages if m["type"] != "transcription"]
    assert kinds and kinds[0] == "speech_started" and set(kinds) <= {"speech_started", "speech_ended"}
    assert finals[-1]["full_transcript"].lower().count("country") >= 1


def test_finalize_twice_gives_two_finals_and_socket_stays_open(server: ServerProcess) -> None:
    async def go() -> list[dict]:
        async with connect(server, url(server)) as ws:
            await send_audio(ws, pcm16(load_pcm(CLIP)))
            await ws.send(json.dumps({"type": "finalize"}))
            await ws.send(json.dumps({"type": "finalize"}))
            finals = []
            async with asyncio.timeout(60):
                while len(finals) < 2:
                    m = json.loads(await ws.recv())
                    if m.get("is_final"):
                        finals.append(m)
            await ws.send(json.dumps({"type": "keepalive"}))  # still open
            assert json.loads(await ws.recv()) == {"type": "pong"}
            return finals

    first, second = asyncio.run(go())
    assert first["from_finalize"] and second["from_finalize"]
    assert "modern" in first["transcript"].lower()
    assert second["transcript"] == "" and not second["is_last"]


def test_finalize_without_audio_answers_with_one_empty_final(server: ServerProcess) -> None:
    async def go() -> dict:
        async with connect(server, url(server)) as ws:
            await ws.send(json.dumps({"type": "finalize"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 30))

    final = asyncio.run(go())
    assert final["is_final"] and final["from_finalize"] and final["transcript"] == "" and not final["is_last"]


@pytest.mark.parametrize("kind", ["keepalive", "keep_alive", "ping"])
def test_keepalive_pong_and_unknown_frames_ignored(server: ServerProcess, kind: str) -> None:
    async def go() -> list[dict]:
        async with connect(server, url(server)) as ws:
            for junk in ("not json", "[1,2]", json.dumps({"type": "bogus"}), json.dumps({"hello": 1})):
                await ws.send(junk)
            await ws.send(json.dumps({"type": kind}))
            replies = [json.loads(await asyncio.wait_for(ws.recv(), 10))]
            await ws.send(json.dumps({"type": "close_stream"}))
            replies += await collect_until(ws, lambda m: m.get("is_last") is True)
            return replies

    replies = asyncio.run(go())
    assert replies[0] == {"type": "pong"}
    assert all(m.get("type") != "error" for m in replies)


@pytest.mark.parametrize("end_frame", [{"type": "end"}, {"flag": "END"}])
def test_historic_end_markers_close_the_stream(server: ServerProcess, end_frame: dict) -> None:
    async def go() -> tuple[list[dict], int | None]:
        async with connect(server, url(server)) as ws:
            await send_audio(ws, pcm16(load_pcm(CLIP)))
            await ws.send(json.dumps(end_frame))
            messages = await collect_until(ws, lambda m: m.get("is_last") is True)
            with pytest.raises(websockets.ConnectionClosedOK):
                await asyncio.wait_for(ws.recv(), 10)
            return messages, ws.close_code

    messages, code = asyncio.run(go())
    assert code == 1000
    assert "modern" in " ".join(m["transcript"] for m in messages if m.get("is_final")).lower()


def test_mulaw_8k_and_odd_sized_frames(server: ServerProcess) -> None:
    """μ-law at 8 kHz (telephony) cut into odd byte counts; linear16 at 44.1 kHz with odd frames too."""
    import audioop  # noqa: PLC0415 - stdlib G.711 encoder, independent of the server's decoder

    pcm = load_pcm(CLIP)
    pcm8k = pcm[::2]
    mulaw = audioop.lin2ulaw(pcm16(pcm8k), 2)
    idx = np.linspace(0, pcm.size - 1, int(pcm.size * 44100 / 16000))
    pcm44 = np.interp(idx, np.arange(pcm.size), pcm).astype(np.float32)

    async def go(target: str, data: bytes) -> str:
        async with connect(server, target) as ws:
            await send_audio(ws, data, frame=333)
            await ws.send(json.dumps({"type": "close_stream"}))
            messages = await collect_until(ws, lambda m: m.get("is_last") is True)
            return " ".join(m["transcript"] for m in messages if m.get("is_final")).lower()

    assert "modern" in asyncio.run(go(url(server, encoding="mulaw", sample_rate=8000), mulaw))
    assert "modern" in asyncio.run(go(url(server, sample_rate=44100), pcm16(pcm44)))


def test_legacy_route_defaults(server: ServerProcess) -> None:
    """E4: no model, language omitted => multi-eu auto-detect, word timestamps on by default."""

    async def go() -> list[dict]:
        async with connect(server, url(server, LEGACY)) as ws:
            await send_audio(ws, pcm16(load_pcm(CLIP)))
            await ws.send(json.dumps({"type": "close_stream"}))
            return await collect_until(ws, lambda m: m.get("is_last") is True)

    finals = [m for m in asyncio.run(go()) if m.get("is_final")]
    spoken = [m for m in finals if m["transcript"]]
    assert spoken and all("words" in m for m in finals)
    assert spoken[0]["language"] == "en"


def test_abrupt_close_leaves_no_session_behind(server: ServerProcess) -> None:
    pcm = pcm16(load_pcm(JFK))

    async def go(step: str) -> None:
        ws = await connect(server, url(server))
        await send_audio(ws, pcm[: len(pcm) // 2])
        if step == "finalize":
            await ws.send(json.dumps({"type": "finalize"}))
        elif step == "close_stream":
            await ws.send(json.dumps({"type": "close_stream"}))
        ws.transport.abort()  # no close handshake at all (what a crashed client does)

    for step in ("audio", "finalize", "close_stream"):
        asyncio.run(go(step))
    stats = wait_no_sessions(server)
    assert stats["active_sessions"] == 0


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A second server with a 2-session cap and a short idle timeout."""
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["live"] = {"max_sessions": 2, "idle_timeout_seconds": 1.5}
    path: Path = tmp_path_factory.mktemp("capped") / "live.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = start_server(path, path.parent / "server.log")
    yield proc
    proc.stop()


def test_session_cap_closes_1008_with_an_error_and_idle_timeout_closes(capped_server: ServerProcess) -> None:
    server = capped_server

    async def go() -> tuple[dict, int | None]:
        async with connect(server, url(server)) as first, connect(server, url(server)) as second:
            # Over the cap the upgrade succeeds, then an error event and close code 1008 (§4.1).
            async with connect(server, url(server)) as third:
                error = json.loads(await asyncio.wait_for(third.recv(), 10))
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(third.recv(), 10)
                cap_code = third.close_code
            # keep-alives hold `second` open past the idle timeout; `first` is closed by the server
            for _ in range(4):
                await second.send(json.dumps({"type": "keepalive"}))
                assert json.loads(await second.recv()) == {"type": "pong"}
                await asyncio.sleep(0.6)
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(first.recv(), 10)
            assert second.state == websockets.protocol.State.OPEN
            return error, cap_code

    error, cap_code = asyncio.run(go())
    assert error["type"] == "error" and "Too many concurrent live sessions" in error["message"]
    assert cap_code == 1008
    assert wait_no_sessions(server)["active_sessions"] == 0
