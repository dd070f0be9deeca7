"""Diarization, gender and emotion through the real server on real labelled audio (issue 4)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import DATA, JFK, ServerProcess, manifest

pytestmark = pytest.mark.slow  # real server and models

EMOTIONS = {"happiness", "sadness", "disgust", "fear", "anger"}


def post(server: ServerProcess, path, **params) -> dict:
    response = httpx.post(f"{server.base_url}/waves/v1/stt/", params={"model": "pulse", "language": "en", **params},
                          content=path.read_bytes(), headers=server.auth, timeout=300)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def ami(server: ServerProcess) -> dict:
    row = next(r for r in manifest("diarization.jsonl") if r["audio"].endswith("ami_dev00.flac"))
    body = post(server, DATA / row["audio"], word_timestamps="true", diarize="true",
                gender_detection="true", emotion_detection="true")
    return body


def test_diarization_labels_words_and_utterances(ami: dict) -> None:
    words = ami["words"]
    assert words and all(isinstance(w["speaker"], int) and 0 <= w["speaker_confidence"] <= 1 for w in words)
    order: list[int] = []
    for w in words:
        if w["speaker"] not in order:
            order.append(w["speaker"])
    assert len(order) >= 2
    assert order == list(range(len(order)))  # zero-based, numbered by first appearance
    assert all(isinstance(u["speaker"], int) for u in ami["utterances"])
    assert {u["speaker"] for u in ami["utterances"]} == set(order)


def test_gender_and_emotion_shapes(ami: dict) -> None:
    assert ami["gender"] in ("male", "female")
    assert set(ami["emotions"]) == EMOTIONS and all(0 <= v <= 1 for v in ami["emotions"].values())
    assert all(u["speaker_gender"] in ("male", "female") for u in ami["utterances"])


def test_gender_on_known_speakers(server: ServerProcess) -> None:
    female = next(r for r in manifest("asr_en.jsonl") if r.get("gender") == "female")
    assert post(server, JFK, gender_detection="true")["gender"] == "male"
    assert post(server, DATA / female["audio"], gender_detection="true")["gender"] == "female"


def test_fields_only_when_asked(server: ServerProcess) -> None:
    plain = post(server, JFK, word_timestamps="true")
    assert "gender" not in plain and "emotions" not in plain
    assert all("speaker" not in w for w in plain["words"])
    diarized_without_words = post(server, JFK, diarize="true")
    assert diarized_without_words["words"] == [] and diarized_without_words["utterances"] == []
    emotion_only = post(server, JFK, emotion_detection="true")
    assert set(emotion_only["emotions"]) == EMOTIONS and "gender" not in emotion_only
