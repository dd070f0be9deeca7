"""The OpenAI-compatible audio API driven by the official `openai` client against a real server."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.helpers import DATA, JFK, PULSE_ONLY_KEY, ServerProcess, basic_wer, wer
from tests.support.subtitles import JFK_TEXT, parse_cues

pytestmark = pytest.mark.slow


def client(server: ServerProcess, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=key or server.api_key, timeout=120, max_retries=0)


def words_of(server: ServerProcess) -> list:
    result = client(server).audio.transcriptions.create(
        model="pulse", file=JFK.open("rb"), language="en", response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    return result.words


@pytest.mark.parametrize("model", ["pulse", "pulse-pro", "whisper-1"])
def test_json_text_for_every_accepted_model(server: ServerProcess, model: str) -> None:
    result = client(server).audio.transcriptions.create(model=model, file=JFK.open("rb"))
    assert wer(JFK_TEXT, result.text) < 0.15
    assert result.usage.type == "duration" and result.usage.seconds == 11


def test_text_format(server: ServerProcess) -> None:
    text = client(server).audio.transcriptions.create(model="whisper-1", file=JFK.open("rb"), response_format="text")
    assert isinstance(text, str) and wer(JFK_TEXT, text.strip()) < 0.15


def test_verbose_json_words_and_segments(server: ServerProcess) -> None:
    result = client(server).audio.transcriptions.create(
        model="pulse", file=JFK.open("rb"), language="en", response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert result.language == "en" and result.duration == pytest.approx(11.0, abs=0.1)
    assert wer(JFK_TEXT, result.text) < 0.15
    assert len(result.words) >= 20
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and all(w.start <= w.end <= result.duration + 0.05 for w in result.words)
    assert wer(JFK_TEXT, " ".join(w.word for w in result.words)) < 0.15
    assert result.segments and result.segments[0].start == result.words[0].start
    assert result.segments[-1].end == result.words[-1].end
    assert all(s.avg_logprob <= 0 for s in result.segments)
    only_segments = client(server).audio.transcriptions.create(
        model="pulse", file=JFK.open("rb"), response_format="verbose_json")
    assert only_segments.segments and not only_segments.words


@pytest.mark.parametrize(("response_format", "separator"), [("srt", ","), ("vtt", ".")])
def test_subtitle_cues_match_word_timings(server: ServerProcess, response_format: str, separator: str) -> None:
    body = client(server).audio.transcriptions.create(
        model="pulse", file=JFK.open("rb"), language="en", response_format=response_format)
    cues = parse_cues(body, separator)
    words = words_of(server)
    assert cues
    assert wer(JFK_TEXT, " ".join(text for _, _, text in cues)) < 0.15
    # Cues tile the words: each starts at its first word and ends at its last (millisecond rounding).
    position = 0
    for start, end, text in cues:
        count = len(text.split())
        inside = words[position : position + count]
        assert " ".join(w.word for w in inside) == text
        assert start == pytest.approx(inside[0].start, abs=0.001)
        assert end == pytest.approx(inside[-1].end, abs=0.001)
        position += count
    assert position == len(words)


def test_prompt_and_temperature_are_accepted(server: ServerProcess) -> None:
    result = client(server).audio.transcriptions.create(
        model="pulse", file=JFK.open("rb"), language="en", prompt="President Kennedy's inaugural address.",
        temperature=0.2)
    assert wer(JFK_TEXT, result.text) < 0.2


def test_translation_to_english(server: ServerProcess) -> None:
    clip = DATA / "asr_multi" / "picovoice_test_es.flac"
    spanish = "Las arenas son blanquecinas de grano medio y tiene muy poca asistencia."
    result = client(server).audio.translations.create(model="whisper-1", file=clip.open("rb"),
                                                      response_format="verbose_json")
    assert result.language == "en" and result.text
    assert basic_wer(spanish, result.text) > 0.7  # not the Spanish transcript
    assert re.search(r"\b(the|and|of|is|are|has|very|with)\b", result.text.lower())


def test_translation_refuses_the_english_only_model(server: ServerProcess) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client(server).audio.translations.create(model="pulse-pro", file=JFK.open("rb"))
    assert info.value.body["param"] == "model"


def test_models_list(server: ServerProcess) -> None:
    ids = {m.id for m in client(server).models.list()}
    assert {"pulse", "pulse-pro", "whisper-1"} <= ids
    assert client(server).models.retrieve("whisper-1").owned_by == "pulse-server"


def test_bad_key_gets_openai_authentication_error(server: ServerProcess) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        client(server, key="sk_wrong").audio.transcriptions.create(model="pulse", file=JFK.open("rb"))
    assert info.value.code == "invalid_api_key"
    assert info.value.body["type"] == "invalid_request_error"


def test_key_not_entitled_to_the_model(server: ServerProcess) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        client(server, key=PULSE_ONLY_KEY).audio.transcriptions.create(model="pulse-pro", file=JFK.open("rb"))


def test_bad_model_and_bad_options(server: ServerProcess) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client(server).audio.transcriptions.create(model="gpt-4o-transcribe", file=JFK.open("rb"))
    assert info.value.code == "model_not_found" and info.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as info:
        client(server).audio.transcriptions.create(model="pulse", file=JFK.open("rb"), language="xx")
    assert info.value.body["param"] == "language"
    with pytest.raises(openai.BadRequestError) as info:
        client(server).audio.transcriptions.create(model="pulse", file=("notes.txt", b"not audio at all"))
    assert info.value.body["param"] == "file"


def test_error_shape_without_the_client(server: ServerProcess) -> None:
    response = httpx.post(f"{server.base_url}/v1/audio/transcriptions", headers=server.auth,
                          data={"model": "pulse"}, timeout=30)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.json()["error"]["param"] == "file"
    bad_format = httpx.post(f"{server.base_url}/v1/audio/transcriptions", headers=server.auth, timeout=30,
                            data={"model": "pulse", "response_format": "xml"}, files={"file": JFK.open("rb")})
    assert bad_format.status_code == 400 and bad_format.json()["error"]["param"] == "response_format"
