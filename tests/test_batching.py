"""Cross-request batching and speech coverage with the real `pulse` model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from models.asr import WhisperEngine
from models.audio import decode_audio
from models.batching import WindowBatcher, WindowKey
from models.coverage import speech_coverage, speech_regions
from models.ct2_threads import SplitThreadsModel
from tests.helpers import DATA, manifest, wer
from tests.support.engines import ENGLISH, default_engine
from tests.support.telephone_set import telephone_set

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    return default_engine("pulse")


def test_windows_from_concurrent_callers_share_calls_and_keep_their_text(engine: WhisperEngine) -> None:
    rows = [r for r in manifest("asr_en.jsonl") if 3.0 <= r["duration"] <= 12.0][:4]
    clips = [decode_audio(str(DATA / r["audio"])) for r in rows]
    # A long gather wait, so the four callers' windows meet in one batch whatever the machine's speed.
    batcher = WindowBatcher(engine.model, batch_size=8, gather_ms=3000, name="test")
    key = WindowKey("en", 5)
    try:
        with ThreadPoolExecutor(len(clips)) as pool:
            outputs = list(pool.map(lambda audio: batcher.decode(key, [audio])[0], clips))
    finally:
        batcher.close()
    assert batcher.windows == len(clips)
    assert batcher.calls < len(clips)
    for row, segments in zip(rows, outputs, strict=True):
        text = " ".join(s.text.strip() for s in segments)
        assert wer(row["text"], text) <= 0.25, (row["text"], text)
        words = [w for s in segments for w in s.words]
        assert words and all(0.0 <= w["start"] <= w["end"] <= 30.0 for w in words)


def test_concurrent_requests_match_sequential_ones(engine: WhisperEngine) -> None:
    rows = [r for r in manifest("asr_en.jsonl") if 3.0 <= r["duration"] <= 12.0][4:8]
    clips = [decode_audio(str(DATA / r["audio"])) for r in rows]
    alone = [engine.transcribe_chunk(audio, ENGLISH).text for audio in clips]
    with ThreadPoolExecutor(len(clips)) as pool:
        together = list(pool.map(lambda audio: engine.transcribe_chunk(audio, ENGLISH).text, clips))
    for row, a, t in zip(rows, alone, together, strict=True):
        assert wer(a, t) <= 0.1, (a, t)
        assert wer(row["text"], t) <= 0.25


def test_a_two_party_call_has_words_over_its_speech(engine: WhisperEngine) -> None:
    call = next(r for r in telephone_set() if r["kind"] == "call")
    audio = decode_audio(call["path"])
    result = engine.transcribe_chunk(audio, ENGLISH)
    words = [(w.start, w.end) for w in result.words]
    assert speech_coverage(speech_regions(audio), words) >= 0.95
    assert wer(call["text"], result.text) <= 0.2
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and starts[-1] <= len(audio) / 16000


def test_silence_gives_no_words(engine: WhisperEngine) -> None:
    result = engine.transcribe_chunk(np.zeros(16000 * 5, dtype=np.float32), ENGLISH)
    assert result.text == "" and result.words == []


def test_generation_on_one_thread_keeps_each_windows_text_and_timings(engine: WhisperEngine) -> None:
    """configs/default.yaml generates and aligns on a one-thread instance beside the encoder's
    (models/ct2_threads.py): concurrent windows decoded through that pair read as on the one model."""
    split = engine.decoding_model
    assert isinstance(split, SplitThreadsModel) and split.encoder is engine.model
    rows = [r for r in manifest("asr_en.jsonl") if 3.0 <= r["duration"] <= 12.0][:3]
    clips = [decode_audio(str(DATA / r["audio"])) for r in rows]
    key = WindowKey("en", 5)
    outputs = {}
    for label, model in (("split", split), ("whole", engine.model)):
        batcher = WindowBatcher(model, batch_size=8, gather_ms=3000, name=label)  # the clips share one call
        try:
            with ThreadPoolExecutor(len(clips)) as pool:
                outputs[label] = list(pool.map(lambda audio, b=batcher: b.decode(key, [audio])[0], clips))
        finally:
            batcher.close()
        assert batcher.calls < len(clips)
    for row, ours, theirs in zip(rows, outputs["split"], outputs["whole"], strict=True):
        text = " ".join(s.text.strip() for s in ours)
        assert wer(" ".join(s.text.strip() for s in theirs), text) <= 0.1
        assert wer(row["text"], text) <= 0.25, (row["text"], text)
        starts = [w["start"] for s in ours for w in s.words]
        other = [w["start"] for s in theirs for w in s.words]
        assert starts and starts == sorted(starts)
        if len(starts) == len(other):
            assert max(abs(a - b) for a, b in zip(starts, other, strict=True)) <= 0.2
