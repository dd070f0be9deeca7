"""Pre-recorded transcription through a real server on loopback, with real clips and httpx."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers import DATA, JFK, ServerProcess, basic_wer, encode_audio, load_pcm, manifest, wer, write_wav

pytestmark = pytest.mark.slow  # real server and models

JFK_TEXT = next(row["text"] for row in manifest("asr_en.jsonl") if row["audio"].endswith("jfk.flac"))


def post(server: ServerProcess, params: dict, content: bytes, path: str = "/waves/v1/stt/", **kw) -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream", **server.auth, **kw.pop("headers", {})}
    return httpx.post(f"{server.base_url}{path}", params=params, content=content, headers=headers, timeout=120, **kw)


@pytest.mark.parametrize("model", ["pulse", "pulse-pro"])
def test_jfk_transcript_is_accurate(server: ServerProcess, model: str) -> None:
    response = post(server, {"model": model, "language": "en"}, JFK.read_bytes())
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["status"] == "success"
    assert wer(JFK_TEXT, body["transcription"]) < 0.15


def test_pulse_shape_a_with_word_timestamps(server: ServerProcess) -> None:
    response = post(server, {"model": "pulse", "language": "en", "word_timestamps": "true"}, JFK.read_bytes())
    body = response.json()
    assert set(body) == {"status", "transcription", "words", "utterances", "metadata"}
    assert set(body["metadata"]) == {"duration", "fileSize"}
    assert body["metadata"]["fileSize"] == JFK.stat().st_size
    assert body["metadata"]["duration"] == pytest.approx(11.0, abs=0.1)
    words = body["words"]
    assert len(words) >= 15
    for word in words:
        assert set(word) == {"word", "start", "end", "confidence"}
        assert 0 <= word["start"] <= word["end"] <= body["metadata"]["duration"] + 0.5
        assert 0 <= word["confidence"] <= 1
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert " ".join(w["word"] for w in words) == body["transcription"]
    utterances = body["utterances"]
    assert utterances and all(set(u) == {"text", "start", "end"} for u in utterances)
    assert " ".join(u["text"] for u in utterances) == body["transcription"]
    # Utterances split on sentence punctuation and pauses: none ends mid-sentence unless a pause follows.
    assert utterances[-1]["text"].endswith((".", "?", "!"))


def test_pulse_without_word_timestamps_has_empty_arrays(server: ServerProcess) -> None:
    body = post(server, {"model": "pulse", "language": "en"}, JFK.read_bytes()).json()
    assert body["words"] == [] and body["utterances"] == []
    assert "language" not in body and "request_id" not in body


def test_pulse_pro_shape_b(server: ServerProcess) -> None:
    response = post(server, {"model": "pulse-pro", "language": "en", "word_timestamps": "true"}, JFK.read_bytes())
    body = response.json()
    assert set(body) == {"status", "transcription", "words", "language", "metadata", "totalBytes", "request_id"}
    assert body["language"] == "en"
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["totalBytes"] == JFK.stat().st_size
    assert set(body["metadata"]) == {"duration", "processing_time_ms", "rtfx", "num_chunks"}
    assert body["metadata"]["rtfx"] > 0 and body["metadata"]["num_chunks"] == 1
    assert body["words"] and all(set(w) == {"word", "start", "end", "confidence"} for w in body["words"])


def test_path_without_trailing_slash_is_served_not_redirected(server: ServerProcess) -> None:
    response = post(server, {"model": "pulse-pro", "language": "en"}, JFK.read_bytes(), path="/waves/v1/stt")
    assert response.status_code == 200 and not response.history
    assert "country" in response.json()["transcription"].lower()


def test_legacy_get_text_defaults(server: ServerProcess) -> None:
    response = post(
        server, {"word_timestamps": "true", "model": "ignored"}, JFK.read_bytes(), path="/waves/v1/pulse/get_text"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"status", "transcription", "words", "utterances", "metadata"}
    assert wer(JFK_TEXT, body["transcription"]) < 0.15


def test_chunked_upload(server: ServerProcess) -> None:
    data = JFK.read_bytes()

    def pieces():
        for start in range(0, len(data), 7919):
            yield data[start : start + 7919]

    response = post(server, {"model": "pulse-pro", "language": "en"}, pieces())
    assert response.status_code == 200, response.text
    assert wer(JFK_TEXT, response.json()["transcription"]) < 0.15


def test_telephony_8khz_clip(server: ServerProcess) -> None:
    row = next(r for r in manifest("asr_en.jsonl") if "8k" in r["audio"])
    response = post(server, {"model": "pulse-pro", "language": "en"}, (DATA / row["audio"]).read_bytes())
    assert response.status_code == 200
    assert wer(row["text"], response.json()["transcription"]) < 0.35


@pytest.mark.parametrize(
    ("codec", "suffix", "fmt", "rate"),
    [("libmp3lame", "mp3", "mp3", 44100), ("libopus", "ogg", "ogg", 48000), ("aac", "m4a", "mp4", 22050)],
)
def test_compressed_containers(
    server: ServerProcess, tmp_path: Path, codec: str, suffix: str, fmt: str, rate: int
) -> None:
    pcm = load_pcm(JFK)
    resampled = np.interp(np.arange(0, pcm.size, 16000 / rate), np.arange(pcm.size), pcm).astype(np.float32)
    path = encode_audio(resampled, tmp_path / f"jfk.{suffix}", codec, rate=rate, fmt=fmt)
    response = post(
        server, {"model": "pulse", "language": "en"}, path.read_bytes(), headers={"Content-Type": f"audio/{suffix}"}
    )
    assert response.status_code == 200, response.text
    assert wer(JFK_TEXT, response.json()["transcription"]) < 0.2


def test_stereo_44k_wav_is_downmixed(server: ServerProcess, tmp_path: Path) -> None:
    import wave

    pcm = load_pcm(JFK)
    up = np.interp(np.arange(0, pcm.size, 16000 / 44100), np.arange(pcm.size), pcm)
    stereo = np.stack([up, up * 0.5], axis=1)
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes((stereo * 32767).astype(np.int16).tobytes())
    body = post(server, {"model": "pulse-pro", "language": "en"}, path.read_bytes()).json()
    assert wer(JFK_TEXT, body["transcription"]) < 0.15


def test_silence_and_noise_give_empty_transcription(server: ServerProcess, tmp_path: Path) -> None:
    silence = write_wav(np.zeros(16000 * 5, dtype=np.float32), tmp_path / "silence.wav")
    rng = np.random.default_rng(7)
    noise = write_wav((rng.standard_normal(16000 * 5) * 0.01).astype(np.float32), tmp_path / "noise.wav")
    for path in (silence, noise):
        for model in ("pulse", "pulse-pro"):
            response = post(server, {"model": model, "language": "en", "word_timestamps": "true"}, path.read_bytes())
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["transcription"] == "", (path.name, model, body["transcription"])
            assert body["words"] == []
            assert body["metadata"]["duration"] == pytest.approx(5.0, abs=0.05)


def test_pinned_and_aggregated_language(server: ServerProcess) -> None:
    row = next(r for r in manifest("asr_multi.jsonl") if r["audio"].endswith("picovoice_test_de.flac"))
    audio = (DATA / row["audio"]).read_bytes()
    detected = post(server, {"model": "pulse", "language": "multi-eu"}, audio).json()["transcription"]
    pinned = post(server, {"model": "pulse", "language": "de"}, audio).json()["transcription"]
    for text in (detected, pinned):
        # German words, not a translation or another language's phonetic spelling.
        assert basic_wer(row["text"], text) < 0.6, text


def test_boolean_spellings_and_unknown_params(server: ServerProcess) -> None:
    audio = JFK.read_bytes()
    capital = post(
        server, {"model": "pulse", "language": "en", "word_timestamps": "True", "encoding": "x", "foo": "1"}, audio
    )
    assert capital.status_code == 200 and capital.json()["words"]
    other = post(server, {"model": "pulse", "language": "en", "word_timestamps": "yes"}, audio)
    assert other.status_code == 200 and other.json()["words"] == []
