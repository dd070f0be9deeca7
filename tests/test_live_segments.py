"""Where the live engine cuts speech into decodes: real audio and VAD, a stub decoder (no model numerics).

The stub answers every decode with one word spanning the decode's whole audio, so the words of a
final show exactly which stretches of the session were decoded on their own.
"""

from __future__ import annotations

import itertools

from models.audio import decode_audio
from models.streaming.config import SessionConfig, VadConfig
from models.streaming.decoder import DecodedWord, DecodeResult
from models.streaming.jobs import DecodeJob
from models.streaming.session import LiveSession, SessionOptions
from models.streaming.vad import StreamingVad
from tests.helpers import DATA, JFK, load_pcm
from tests.support.live_streaming import Decode, join_with_pauses, stream
from tests.support.telephone_set import telephone_set

SR = 16000


def spanning_stub() -> tuple[list[DecodeJob], Decode]:
    seen: list[DecodeJob] = []
    count = itertools.count()

    def decode(job: DecodeJob) -> DecodeResult | None:
        seen.append(job)
        if job.audio is None:
            return None
        return DecodeResult([DecodedWord(f" w{next(count)}", 0.0, job.audio.size / SR, 1.0)], "en")

    return seen, decode


def session(min_seal_seconds: float, **options: object) -> LiveSession:
    config = SessionConfig(min_seal_seconds=min_seal_seconds)
    return LiveSession(config, SessionOptions(language="en", **options), StreamingVad(VadConfig()))  # type: ignore[arg-type]


def sealed_spans(min_seal_seconds: float) -> list[float]:
    """Durations of the stretches JFK's one final was sealed from (pauses and chunks), with no endpointing."""
    _, decode = spanning_stub()
    finals, jobs = stream(decode, session(min_seal_seconds, endpointing=False, eou_timeout_ms=10000), load_pcm(JFK))
    assert len(finals) == 1
    return [w.end - w.start for w in jobs[-1].sealed]


def test_short_phrases_between_pauses_are_not_sealed_alone() -> None:
    """JFK's phrases ("ask not", ~1 s) end in short pauses: with `min_seal_seconds` each sealed decode is at
    least that long (the phrase is heard again with what follows it); with 0 every pause is sealed."""
    every_pause = sealed_spans(0.0)
    assert every_pause and min(every_pause) < 3.0
    long_enough = sealed_spans(3.0)
    assert long_enough, "nothing was sealed"
    assert min(long_enough) >= 3.0
    assert len(long_enough) < len(every_pause)


def test_an_endpointing_final_leaves_no_audio_between_its_decode_and_the_next_segment() -> None:
    """The pause cut is the final's decoded end (speech + tail pad), not where the pause was decided: the
    silence after it, and any soft onset in it, belongs to the next segment's decode."""
    clips = [load_pcm(DATA / "asr_en" / f"{name}.flac") for name in ("ljspeech_LJ001-0002", "ljspeech_LJ002-0020")]
    _, decode = spanning_stub()
    finals, jobs = stream(decode, session(0.0, endpointing_ms=600), join_with_pauses(clips, 0.7))
    cut_at_pause = [job for job in jobs if job.reason == "endpointing"]
    assert cut_at_pause and len(finals) >= 2, "the pause did not end a final"
    for job in cut_at_pause:
        assert job.audio is not None
        assert job.cut_sample == job.end_sample == job.start_sample + job.audio.size


def test_a_short_tail_after_a_pause_is_decoded_with_the_stretch_before_it() -> None:
    """A digit sentence through the phone line ("My card ends in four, one, nine, five"): its last digit
    follows a 0.4 s pause. Sealed as soon as speech resumed, the final decoded that "five" on its own (the
    model heard "5 5"); with `seal_after_speech_seconds` the final decodes the whole sentence once."""
    row = next(r for r in telephone_set() if r["id"] == "numbers03")
    pcm = decode_audio(row["path"])

    def final_job(seal_after_speech_seconds: float) -> DecodeJob:
        _, decode = spanning_stub()
        config = SessionConfig(seal_after_speech_seconds=seal_after_speech_seconds)
        vad = StreamingVad(VadConfig(threshold=0.35, neg_threshold=0.2))  # configs/default.yaml's live VAD
        live = LiveSession(config, SessionOptions(language="en", endpointing=False, eou_timeout_ms=10000), vad)
        finals, jobs = stream(decode, live, pcm)
        assert len(finals) == 1
        return jobs[-1]

    sealed_at_once = final_job(0.0)
    assert sealed_at_once.sealed and sealed_at_once.audio is not None
    assert sealed_at_once.audio.size / SR < 1.5, "the last digit was not decoded on its own"
    waited = final_job(1.0)
    assert not waited.sealed and waited.audio is not None
    assert waited.audio.size / SR > 3.0
