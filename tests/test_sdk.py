"""The official `smallestai==5.14.0` SDK pointed at a real server on loopback (spec §6.1)."""

from __future__ import annotations

import pytest
import smallestai
from smallestai.environment import SmallestAIEnvironment
from smallestai.waves.errors import BadRequestError, ForbiddenError, UnauthorizedError

from tests.helpers import JFK, PULSE_ONLY_KEY, ServerProcess, manifest, wer

pytestmark = pytest.mark.slow  # real server and models

JFK_TEXT = next(row["text"] for row in manifest("asr_en.jsonl") if row["audio"].endswith("jfk.flac"))


def make_client(server: ServerProcess, key: str | None = None) -> smallestai.SmallestAI:
    env = SmallestAIEnvironment(
        atoms=f"{server.base_url}/atoms/v1", waves=server.base_url, waves_ws=server.ws_url, payment=server.base_url
    )
    return smallestai.SmallestAI(api_key=key or server.api_key, environment=env, max_retries=0)


@pytest.mark.parametrize("model", ["pulse", "pulse-pro"])
def test_sdk_transcribes_with_both_models(server: ServerProcess, model: str) -> None:
    client = make_client(server)
    response = client.waves.speech_to_text.transcribe(
        model=model, language="en", request=JFK.read_bytes(), word_timestamps=True
    )
    assert response.status == "success"
    assert wer(JFK_TEXT, response.transcription) < 0.15
    assert response.words and response.words[0].start is not None
    if model == "pulse-pro":
        assert response.language == "en" and response.request_id


def test_sdk_chunked_iterator_upload(server: ServerProcess) -> None:
    data = JFK.read_bytes()
    chunks = (data[i : i + 16384] for i in range(0, len(data), 16384))
    response = make_client(server).waves.speech_to_text.transcribe(model="pulse-pro", language="en", request=chunks)
    assert wer(JFK_TEXT, response.transcription) < 0.15


def test_sdk_maps_errors_to_typed_exceptions(server: ServerProcess) -> None:
    with pytest.raises(UnauthorizedError):
        make_client(server, key="sk_not_a_key").waves.speech_to_text.transcribe(
            model="pulse", language="en", request=JFK.read_bytes()
        )
    with pytest.raises(ForbiddenError):
        make_client(server, key=PULSE_ONLY_KEY).waves.speech_to_text.transcribe(
            model="pulse-pro", language="en", request=JFK.read_bytes()
        )
    with pytest.raises(BadRequestError) as info:
        make_client(server).waves.speech_to_text.transcribe(model="pulse", language="en", request=b"not audio" * 50)
    assert "decode" in str(info.value.body).lower()
