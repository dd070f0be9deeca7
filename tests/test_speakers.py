"""Speaker stages on real audio: diarization, live speaker tracking, gender, emotion, and backend plumbing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.audio import decode_audio
from models.speakers import (
    EMOTION_LABELS,
    OnlineSpeakerTracker,
    SpeakerAnalyzer,
    SpeakerStagesConfig,
)
from models.transcript import Transcript, Utterance, Word
from tests.helpers import DATA

AMI_CLIP = "diarization/ami_dev01"


@pytest.fixture(scope="module")
def analyzer() -> SpeakerAnalyzer:
    return SpeakerAnalyzer(SpeakerStagesConfig())


def clip(name: str) -> np.ndarray:
    return decode_audio(str(DATA / name))


def words_from_rttm(rttm: Path, step: float = 0.4) -> list[Word]:
    """Word-sized tokens laid over the reference speech turns: real timings for the ASR input, no speakers."""
    turns = sorted(
        (float(p[3]), float(p[3]) + float(p[4])) for p in (line.split() for line in rttm.read_text().splitlines())
    )
    starts = sorted({round(t, 2) for s, e in turns for t in np.arange(s, e - step / 2, step)})
    return [Word(word=f"w{i}.", start=t, end=t + step * 0.9, confidence=1.0) for i, t in enumerate(starts)]


@pytest.mark.slow
def test_diarize_ami_clip_labels_words_and_utterances(analyzer: SpeakerAnalyzer) -> None:
    audio = clip(f"{AMI_CLIP}.flac")
    words = words_from_rttm(DATA / "diarization/rttm/ami_dev01.rttm")
    transcript = Transcript(text=" ".join(w.word for w in words), words=words, language="en")
    job = analyzer.start(diarize=True, gender=True, emotion=False)
    half = audio.size // 2  # two chunks with offsets, as the pre-recorded pipeline feeds long files
    job.add_chunk(audio[:half], 0.0)
    job.add_chunk(audio[half:], half / 16000)
    job.finish(transcript, pause_seconds=0.8)

    speakers = [w.speaker for w in transcript.words]
    assert all(isinstance(s, int) for s in speakers)
    assert len(set(speakers)) >= 2
    first_seen = list(dict.fromkeys(speakers))
    assert first_seen == list(range(len(first_seen))), "speakers must be numbered in order of first appearance"
    assert all(0.0 <= (w.speaker_confidence or 0.0) <= 1.0 for w in transcript.words)
    assert transcript.utterances and all(isinstance(u.speaker, int) for u in transcript.utterances)
    for utterance in transcript.utterances:
        inside = [w.speaker for w in transcript.words if utterance.start <= w.start and w.end <= utterance.end]
        assert set(inside) == {utterance.speaker}, "utterances split at speaker changes"
        assert utterance.extra["speaker_gender"] in ("male", "female")
    assert transcript.gender in ("male", "female")
    assert transcript.emotions is None, "emotion was not asked for"


@pytest.mark.parametrize(
    ("name", "expected"), [("asr_en/jfk.flac", "male"), ("asr_en/ljspeech_LJ001-0001.flac", "female")]
)
@pytest.mark.slow
def test_gender_on_known_speakers(analyzer: SpeakerAnalyzer, name: str, expected: str) -> None:
    job = analyzer.start(diarize=False, gender=True, emotion=False)
    job.add_chunk(clip(name), 0.0)
    transcript = Transcript(text="")
    job.finish(transcript)
    assert transcript.gender == expected


@pytest.mark.slow
def test_emotion_scores_for_file_and_utterances(analyzer: SpeakerAnalyzer) -> None:
    audio = clip("emotion/ravdess_03-01-05-02-01-01-01.flac")
    duration = audio.size / 16000
    transcript = Transcript(
        text="x", utterances=[Utterance("x", 0.0, duration / 2), Utterance("y", duration / 2, duration)]
    )
    job = analyzer.start(diarize=False, gender=False, emotion=True)
    job.add_chunk(audio, 0.0)
    job.finish(transcript)
    assert transcript.emotions is not None and set(transcript.emotions) == set(EMOTION_LABELS)
    assert all(0.0 <= v <= 1.0 for v in transcript.emotions.values())
    assert sum(transcript.emotions.values()) <= 1.0 + 1e-3
    for utterance in transcript.utterances:
        assert set(utterance.extra["emotions"]) == set(EMOTION_LABELS)
    assert transcript.gender is None


@pytest.mark.slow
def test_no_stage_requested_costs_nothing(analyzer: SpeakerAnalyzer) -> None:
    job = analyzer.start(diarize=False, gender=False, emotion=False)
    job.add_chunk(clip("asr_en/jfk.flac"), 0.0)
    transcript = Transcript(text="t", words=[Word("t", 0.5, 0.9, 1.0)])
    job.finish(transcript)
    assert len(job.track) == 0 and transcript.words[0].speaker is None and transcript.gender is None


@pytest.mark.parametrize("bad", [{"num_speakers": 0}, {"min_speakers": -1}, {"min_speakers": 3, "max_speakers": 2}])
@pytest.mark.slow
def test_bad_speaker_counts_raise_value_error(analyzer: SpeakerAnalyzer, bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        analyzer.start(diarize=True, gender=False, emotion=False, **bad)


@pytest.mark.slow
def test_num_speakers_is_honoured(analyzer: SpeakerAnalyzer) -> None:
    job = analyzer.start(diarize=True, gender=False, emotion=False, num_speakers=3)
    job.add_chunk(clip("diarization/picovoice_falcon_test.flac"), 0.0)
    assert len({s.speaker for s in job.diarization().segments}) == 3


@pytest.mark.slow
def test_online_tracker_keeps_labels_across_finals(analyzer: SpeakerAnalyzer) -> None:
    audio = clip("diarization/pyannote_sample.flac")
    tracker = OnlineSpeakerTracker(analyzer.embedder, analyzer.config)
    # Finals cut at the reference turns of the 2-speaker call (speaker90, speaker91, speaker90, speaker91).
    finals = [(8.3, 10.0), (14.5, 17.9), (18.6, 21.5), (21.8, 28.5), (8.3, 10.0)]
    labels: list[int] = []
    for start, end in finals:
        words = [Word("a", start + 0.1, start + 0.5, 1.0), Word("b", end - 0.5, end - 0.1, 1.0)]
        tracker.assign(audio[int(start * 16000) : int(end * 16000)], start, words)
        assert all(isinstance(w.speaker, int) and 0.0 <= (w.speaker_confidence or 0) <= 1.0 for w in words)
        labels.append(words[0].speaker or 0)
    assert labels[0] == 0
    assert list(dict.fromkeys(labels)) == list(range(len(set(labels)))), "numbered in order of first appearance"
    assert labels[-1] == labels[0], "the same voice keeps its label later in the session"
    assert tracker.num_speakers >= 2


@pytest.mark.slow
def test_pyannote_backend_fails_with_a_clear_message() -> None:
    config = SpeakerStagesConfig.from_stages({"diarization": {"backend": "pyannote"}})
    try:
        import pyannote.audio  # noqa: F401
    except Exception:
        with pytest.raises(RuntimeError, match="pyannote"):
            SpeakerAnalyzer(config)
    else:
        pytest.skip("pyannote.audio is importable here; its end-to-end test is the opt-in job")


def test_unknown_config_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="diarization.windw"):
        SpeakerStagesConfig.from_stages({"diarization": {"windw": 2}})


@pytest.mark.slow
def test_transformers_backend_plumbing(tmp_path: Path) -> None:
    """Plumbing only: a tiny RANDOMLY INITIALISED Wav2Vec2 classifier, built and saved here, checks loading
    from a local path and the label mapping; its scores mean nothing."""
    transformers = pytest.importorskip("transformers")
    config = transformers.Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 4),
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
        classifier_proj_size=8,
        id2label={0: "neu", 1: "ang", 2: "hap", 3: "sad"},
        label2id={"neu": 0, "ang": 1, "hap": 2, "sad": 3},
    )
    transformers.Wav2Vec2ForSequenceClassification(config).save_pretrained(tmp_path)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(tmp_path)
    label_map = {"ang": "anger", "hap": "happiness", "sad": "sadness"}
    stages = {
        "emotion": {"backend": "transformers", "model": str(tmp_path), "label_map": label_map},
        "gender": {"backend": "embedded", "weights": "gender.npz"},
    }
    analyzer = SpeakerAnalyzer(SpeakerStagesConfig.from_stages(stages))
    job = analyzer.start(diarize=False, gender=False, emotion=True)
    job.add_chunk(clip("emotion/ravdess_03-01-05-02-01-01-01.flac"), 0.0)
    transcript = Transcript(text="")
    job.finish(transcript)
    emotions = transcript.emotions or {}
    assert set(emotions) == set(EMOTION_LABELS)
    assert emotions["disgust"] == 0.0 and emotions["fear"] == 0.0, "unmapped labels score nothing"
    assert 0.0 < sum(emotions.values()) <= 1.0 + 1e-3, "'neu' is dropped, the mapped three share the rest"
    with pytest.raises(ValueError, match="label_map"):
        bad = {"backend": "transformers", "model": str(tmp_path), "label_map": {"ang": "rage"}}
        SpeakerAnalyzer(SpeakerStagesConfig.from_stages({"emotion": bad}))


def test_manifest_clips_exist() -> None:
    rows = [json.loads(line) for line in (DATA / "diarization.jsonl").read_text().splitlines()]
    assert any(r["audio"] == f"{AMI_CLIP}.flac" for r in rows)
