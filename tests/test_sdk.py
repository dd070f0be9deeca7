"""The official `smallestai==5.14.0` SDK pointed at a real server on loopback (spec §6.1)."""

from __future__ import annotations

import pytest
from smallestai.waves.errors import BadRequestError, ForbiddenError, UnauthorizedError

from tests.helpers import JFK, PULSE_ONLY_KEY, ServerProcess, wer
from tests.support.sdk import JFK_TEXT, make_client

pytestmark = pytest.mark.slow  # real server and models




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
