"""Live session engine without a server: finals from whole-audio decodes, pause sealing, speculative reuse.

Drives `LiveSession` with the real `pulse` model and real clips under two numerics: the shipped int8
and float32 (set through the live engine's `compute_type`, as a config would), because another CPU's
int8 kernels give different text; every assert is a WER bound or an invariant. Decodes run
synchronously (tests/support/live_streaming.py), so what is checked is the policy, never timing.
"""

from __future__ import annotations

from pathlib import Path

import jiwer
import numpy as np
import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from models.streaming.decoder import DecodeRequest, DecodeResult, LiveDecoder, clip_prompt
from models.streaming.jobs import DecodeJob, FinalSegment
from models.streaming.runtime import load_live_instance
from models.streaming.seams import repeated_ngrams
from models.streaming.session import LiveSession
from models.weights import resolve_weights
from server.config import load_config
from tests.helpers import DATA, JFK, REPO, load_pcm, manifest
from tests.support.live_streaming import CHUNK, join_with_pauses, model_decode, new_session, stream

CLIP = DATA / "asr_en" / "ljspeech_LJ001-0002.flac"  # "in being comparatively modern." (1.9 s)
# Short clips joined by 0.8 s pauses (each pause ends a final) and clips with sealed pauses inside.
JOINED = ["ljspeech_LJ001-0002", "ljspeech_LJ002-0020", "ljspeech_LJ002-0035", "ljspeech_LJ001-0008",
          "librispeech_1089-134691-0000", "librivox_sense_and_sensibility_01_0880"]
ALONE = ["jfk", "osr_us_000_0034_8k", "librispeech_1089-134691-0001"]
NORMALISE = EnglishTextNormalizer()


@pytest.fixture(scope="module", params=["int8", "float32"])
def decoder(request: pytest.FixtureRequest) -> LiveDecoder:
    """The live decoder as the server builds it (generation on its own thread count, see models/ct2_threads.py),
    on a config variant whose live engine runs with the given `compute_type`."""
    config = load_config(REPO / "configs" / "default.yaml")
    model = config.models["pulse"]
    live = model.live.model_copy(update={"engine": model.live.engine.model_copy(update={"compute_type": request.param})})
    weights = resolve_weights(model.weights, REPO / ".cache")
    return LiveDecoder(load_live_instance(weights, model, live.engine), live.decoder)


def reference(path: Path) -> str:
    return next(row["text"] for row in manifest("asr_en.jsonl") if row["audio"].endswith(path.name))


def run(decoder: LiveDecoder, session: LiveSession, job: DecodeJob) -> DecodeResult | None:
    return model_decode(decoder)(job)


def words_of(text: str) -> list[str]:
    return NORMALISE(text).split()


@pytest.mark.slow
def test_pauses_are_sealed_and_the_final_is_close_to_the_reference(decoder: LiveDecoder) -> None:
    """JFK pauses between phrases: words before each pause are sealed once, the final decodes only the rest."""
    pcm = load_pcm(JFK)
    session = new_session(endpointing=False, eou_timeout_ms=10000)
    finals, jobs = stream(model_decode(decoder), session, pcm)
    assert len(finals) == 1
    assert jobs[-1].sealed, "no pause was sealed"
    assert jobs[-1].start_sample > 0  # the final decoded only the audio after the last sealed pause
    words = finals[0].words
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    keys = [NORMALISE(w.word) for w in words]
    assert all(a != b for a, b in zip(keys, keys[1:], strict=False) if a), "a word is doubled at a join"
    error = jiwer.wer(NORMALISE(reference(JFK)), NORMALISE(finals[0].text))
    assert error <= 0.15


@pytest.mark.slow
def test_a_stream_that_ends_just_after_its_last_word_keeps_it(decoder: LiveDecoder) -> None:
    """The clip ends 0.28 s after "modern": the final's audio gets silence before the encoder window's zero-frame
    padding (`final_silence_seconds`); without it float32 numerics returned "in being comparatively"."""
    finals, _ = stream(model_decode(decoder), new_session(), load_pcm(CLIP))
    words = words_of(" ".join(f.text for f in finals))
    assert words[-1:] == words_of(reference(CLIP))[-1:], words
    assert jiwer.wer(" ".join(words_of(reference(CLIP))), " ".join(words)) <= 0.25


def test_endpointing_final_reuses_the_speculative_decode_of_its_pause() -> None:
    """Speech, then silence: one speculative job per pause, and the endpointing final asks for the same decode."""
    pcm = np.concatenate([load_pcm(CLIP), np.zeros(16000, np.float32)])
    session = new_session(endpointing_ms=600)
    prefinals: list[DecodeJob] = []
    final: DecodeJob | None = None
    for start in range(0, pcm.size, CHUNK):
        session.feed(pcm[start : start + CHUNK])
        if session.auto_final_reason() == "endpointing":
            final = session.final_job("endpointing")
            break
        job = session.prefinal_job()
        if job is not None:
            prefinals.append(job)
            assert session.partial_job() is None  # partials pause while the final's decode is speculated
    assert final is not None and len(prefinals) == 1
    assert prefinals[0].key == final.key
    assert final.audio is not None and final.audio.size == prefinals[0].audio.size  # type: ignore[union-attr]


@pytest.mark.slow
def test_word_count_final_cuts_at_a_sealed_pause(decoder: LiveDecoder) -> None:
    """`max_words` with sealed words: the cut lands on the pause, so no word is split or repeated."""
    pcm = load_pcm(JFK)
    session = new_session(endpointing=False, eou_timeout_ms=10000)
    pending: tuple[DecodeJob, DecodeResult] | None = None
    finals: list[FinalSegment] = []
    for start in range(0, pcm.size, CHUNK):
        session.feed(pcm[start : start + CHUNK])
        if not finals and pending is not None and session.seal(*pending):
            sealed_end, pending = pending[0].end_sample, None
            if session.sealed_end == sealed_end:  # sealed, not let go as too short
                job = session.final_job("max_words")
                assert job.sealed and job.cut_sample == sealed_end
                finals.append(session.apply_final(job, run(decoder, session, job)))
        job = session.prefinal_job()
        if job is not None:
            result = run(decoder, session, job)
            pending = (job, result) if result is not None else None
    assert finals, "speech never resumed after a pause"
    rest = session.final_job("finalize")
    finals.append(session.apply_final(rest, run(decoder, session, rest)))
    joined = NORMALISE(" ".join(f.text for f in finals))
    assert jiwer.wer(NORMALISE(reference(JFK)), joined) <= 0.15


class GreedyStopsEarly(LiveDecoder):
    """The real decoder, except that greedy search keeps only its first token: the way int8 greedy search
    stopped after "He" on "He could wait no longer" (a fault injected, the model and audio are real)."""

    def _generate_group(self, items: list, encoded: np.ndarray, rows: list[int], prompts: list[list[int]]) -> None:  # type: ignore[type-arg]
        super()._generate_group(items, encoded, rows, prompts)
        for n in rows:
            if items[n].request.greedy:
                items[n].tokens = items[n].tokens[:1]


@pytest.mark.slow
def test_a_greedy_final_decode_that_stops_early_is_searched_again(decoder: LiveDecoder) -> None:
    """A speculative (greedy) decode whose words end long before its audio gets the final's beam search."""
    pcm, ref = clip("librispeech_1089-134691-0000")
    request = DecodeRequest(pcm, language="en", final=True, greedy=True)
    unguarded = GreedyStopsEarly(decoder._fw, decoder.config.model_copy(update={"early_stop_seconds": 1e9}))
    stopped = unguarded.decode_batch([request])[0]
    assert len(stopped.words) == 1  # the injected fault bites: one word for five
    guarded = GreedyStopsEarly(decoder._fw, decoder.config).decode_batch([request])[0]
    assert jiwer.wer(NORMALISE(ref), NORMALISE(guarded.text)) <= 0.2
    assert guarded.words[-1].end > pcm.size / 16000 - 1.0


def test_clip_prompt_keeps_the_most_recent_whole_words() -> None:
    assert clip_prompt("alpha beta gamma", 100) == "alpha beta gamma"
    assert clip_prompt("alpha beta gamma", 11) == "beta gamma"
    assert clip_prompt("alpha beta gamma", 10) == "beta gamma"
    assert clip_prompt("alpha beta gamma", 9) == "gamma"
    assert clip_prompt("alphabetagamma", 5) == "gamma"


def clip(name: str) -> tuple[np.ndarray, str]:
    path = DATA / "asr_en" / f"{name}.flac"
    return load_pcm(path), reference(path)


def check_no_repeats(finals: list[FinalSegment], ref: str) -> float:
    """No final and no running full transcript repeats a 3-word run the reference lacks; returns the WER."""
    ref_words = words_of(ref)
    for n, final in enumerate(finals):
        assert not repeated_ngrams(words_of(final.text), ref_words), f"final repeats a run: {final.text!r}"
        full = " ".join(f.text for f in finals[: n + 1])
        assert not repeated_ngrams(words_of(full), ref_words), f"full transcript repeats a run: {full!r}"
    return jiwer.wer(NORMALISE(ref), NORMALISE(" ".join(f.text for f in finals)))


@pytest.mark.slow
@pytest.mark.parametrize("name", ALONE)
def test_a_clip_streamed_alone_repeats_no_run(decoder: LiveDecoder, name: str) -> None:
    """Default options (endpointing, speculative decodes at pauses): seams never duplicate words."""
    pcm, ref = clip(name)
    finals, _ = stream(model_decode(decoder), new_session(), pcm)
    assert check_no_repeats(finals, ref) <= 0.25


@pytest.mark.slow
def test_short_clips_joined_by_pauses_repeat_no_run(decoder: LiveDecoder) -> None:
    """Each 0.8 s pause ends a final; the next final must not start by repeating the previous one."""
    pcms, refs = zip(*(clip(name) for name in JOINED), strict=True)
    finals, _ = stream(model_decode(decoder), new_session(), join_with_pauses(list(pcms), 0.8))
    assert len(finals) >= 2
    assert check_no_repeats(finals, " ".join(refs)) <= 0.25


@pytest.mark.slow
def test_continuous_speech_is_sealed_in_chunks(decoder: LiveDecoder) -> None:
    """19 s without a pause: chunks are sealed at quiet points, so the final decodes only the last few
    seconds, and the chunk seams neither repeat nor lose words."""
    (a, ref_a), (b, ref_b) = clip("ljspeech_LJ001-0001"), clip("ljspeech_LJ001-0003")
    session = new_session()
    finals, jobs = stream(model_decode(decoder), session, np.concatenate([a, b]))
    assert jobs[-1].sealed, "no chunk was sealed"
    assert jobs[-1].audio is not None
    assert jobs[-1].audio.size <= 2 * session.config.seal_chunk_seconds * 16000
    assert check_no_repeats(finals, f"{ref_a} {ref_b}") <= 0.2
