"""Seam policy of the live engine, with stub decoders (no model numerics involved).

The stubs misbehave the way real decoders do on some CPUs: they echo the text before their audio
(with zero-length or with real timings), repeat themselves into the padding, or return nothing.
Whatever they emit, a word of the truth is committed at most once, and never lost while the stub
reports it. The audio and VAD are real (JFK, short clips); only the decoder is a stub.
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from models.streaming.config import LiveServerConfig, VadConfig
from models.streaming.decoder import DecodedWord, DecodeResult
from models.streaming.jobs import DecodeJob, FinalSegment
from models.streaming.runner import LiveEvent, SessionRunner
from models.streaming.scheduler import DecodeScheduler
from models.streaming.seams import SeamPolicy, drop_echoes, drop_unvoiced, repeated_ngrams, trim_seam
from models.streaming.session import LiveSession
from models.streaming.vad import StreamingVad
from models.transcript import Word
from tests.helpers import DATA, JFK, load_pcm
from tests.support.live_streaming import StubBatchDecoder, join_with_pauses, new_session, stream

POLICY = SeamPolicy()
SR = 16000


def dw(text: str, start: float, end: float) -> DecodedWord:
    return DecodedWord(" " + text, start, end, 0.9)


def committed(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end, 0.9) for text, start, end in spec]


def texts(words: list[DecodedWord]) -> list[str]:
    return [w.text.strip() for w in words]


# ---- trim_seam ----------------------------------------------------------------------------
CONTEXT = committed(("And", 0.0, 0.5), ("so", 0.5, 0.8), ("my", 0.8, 1.2), ("fellow", 1.2, 1.5),
                    ("Americans,", 1.5, 1.9))


def test_an_echoed_prompt_with_zero_length_timings_is_dropped() -> None:
    echo = [dw(w, 0.0, 0.0) for w in ("And", "so", "my", "fellow", "Americans.")]
    out = trim_seam(CONTEXT, [*echo, dw("ask", 0.3, 0.6), dw("not", 0.6, 0.9)], 1.96, POLICY)
    assert texts(out) == ["ask", "not"]


def test_an_overlapping_head_with_real_timings_is_dropped() -> None:
    words = [dw("fellow", 0.0, 0.2), dw("Americans", 0.2, 0.5), dw("ask", 0.6, 0.9), dw("not", 0.9, 1.1)]
    assert texts(trim_seam(CONTEXT, words, 1.96, POLICY)) == ["ask", "not"]


def test_a_phrase_said_again_later_is_kept() -> None:
    words = [dw("ask", 0.1, 0.4), dw("and", 0.5, 0.7), dw("so", 1.5, 1.7), dw("my", 1.7, 1.9),
             dw("fellow", 1.9, 2.2), dw("Americans", 2.2, 2.8)]
    assert texts(trim_seam(CONTEXT, words, 1.96, POLICY)) == ["ask", "and", "so", "my", "fellow", "Americans"]
    late = [dw("fellow", 1.5, 1.8), dw("Americans", 1.8, 2.3)]  # the tail's words, but well after the seam
    assert texts(trim_seam(CONTEXT, late, 1.96, POLICY)) == ["fellow", "Americans"]


def test_a_phrase_repeated_after_a_pause_is_kept() -> None:
    """ "Seven of clubs. [pause] Seven of clubs." said twice: the gap after the committed words is real."""
    words = [dw("fellow", 0.05, 0.3), dw("Americans,", 0.3, 0.8)]
    assert texts(trim_seam(CONTEXT, words, 3.0, POLICY)) == ["fellow", "Americans,"]


def test_the_remnant_of_the_last_word_is_dropped() -> None:
    words = [dw("cans", 0.02, 0.2), dw("ask", 0.4, 0.7)]
    assert texts(trim_seam(CONTEXT, words, 1.9, POLICY)) == ["ask"]


def test_words_centred_before_the_new_audio_are_dropped() -> None:
    """Audio decoded with some context before the seam: words that belong to the committed part go."""
    words = [dw("Americans", 0.0, 0.25), dw("ask", 0.5, 0.8)]
    assert texts(trim_seam(CONTEXT, words, 1.7, POLICY)) == ["ask"]


def test_empty_output_and_no_context() -> None:
    assert trim_seam(CONTEXT, [], 2.0, POLICY) == []
    words = [dw("ask", 0.0, 0.3)]
    assert texts(trim_seam([], words, 0.0, POLICY)) == ["ask"]


def test_unvoiced_runs_are_dropped_but_a_single_short_inner_word_stays() -> None:
    words = [dw("He", 0.0, 0.3), dw("was", 0.3, 0.3), dw("here.", 0.3, 0.8),
             dw("He", 0.8, 0.8), dw("was", 0.8, 0.8), dw("here.", 0.8, 0.8)]
    assert texts(drop_unvoiced(words, POLICY.min_word_seconds)) == ["He", "was", "here."]


def test_repeated_ngrams_counts_against_the_reference() -> None:
    assert repeated_ngrams("a b c a b c".split(), "a b c".split()) == [("a", "b", "c")]
    assert repeated_ngrams("a b c x a b c".split(), "a b c x a b c".split()) == []
    assert repeated_ngrams("five five".split(), []) == []


# ---- the session's seams under misbehaving stub decoders ----------------------------------------
def truth_timeline(pcm: np.ndarray, words: list[str]) -> list[Word]:
    """The reference words spread evenly over the audio the real VAD calls speech, none across a pause."""
    frames = StreamingVad(VadConfig()).feed(pcm)
    voiced = [(f.end_sample - 512) / SR for f in frames if f.speech]
    run_end = list(voiced)  # end of the voiced run each frame belongs to
    for k in range(len(voiced) - 2, -1, -1):
        if voiced[k + 1] - voiced[k] < 0.04:
            run_end[k] = run_end[k + 1]
    step = len(voiced) / len(words)
    timeline = []
    for i, w in enumerate(words):
        first, last = int(i * step), max(int(i * step), int((i + 1) * step) - 1)
        timeline.append(Word(w, voiced[first], min(voiced[last], run_end[first]) + 0.032, 0.9))
    return timeline


class StubDecoder:
    """Answers a job with the truth words centred in its audio, plus a misbehaviour."""

    def __init__(self, truth: list[Word], mode: str) -> None:
        self.truth = truth
        self.mode = mode
        self.calls = 0
        self.jobs: list[DecodeJob] = []

    def __call__(self, job: DecodeJob) -> DecodeResult | None:
        if job.audio is None:
            return None
        self.calls += 1
        self.jobs.append(job)
        start = job.start_sample / SR
        end = start + job.audio.size / SR
        heard = [DecodedWord(" " + w.word, w.start - start, w.end - start, 0.9)
                 for w in self.truth if start <= (w.start + w.end) / 2 < end]
        before = [w for w in self.truth if (w.start + w.end) / 2 < start][-4:]
        if self.mode == "echo":  # what it was prompted with / what came before, at the seam, zero length
            heard = [DecodedWord(" " + w.word, 0.0, 0.0, 0.5) for w in before] + heard
        elif self.mode == "overlap":  # the words before, re-heard with real timings at the start
            heard = [DecodedWord(" " + w.word, 0.05 * i, 0.05 * (i + 1), 0.5) for i, w in enumerate(before[-2:])] + [
                DecodedWord(w.text, w.start + 0.1, w.end + 0.1, w.probability) for w in heard]
        elif self.mode == "loop":  # repeats itself into the padding
            last = heard[-1].end if heard else 0.0
            heard = heard + [DecodedWord(w.text, last, last, 0.5) for w in heard]
        elif self.mode == "empty" and self.calls % 2 == 0:
            heard = []
        return DecodeResult(heard, "en")


def final_words(finals: list[FinalSegment]) -> list[str]:
    return [w.word for f in finals for w in f.words]


def is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


JOINED = ["ljspeech_LJ001-0002", "ljspeech_LJ002-0020", "ljspeech_LJ002-0035", "ljspeech_LJ001-0008"]
REF_JFK = "And so my fellow Americans ask not what your country can do for you ask what you can do for your country"


def scenarios() -> dict[str, tuple[np.ndarray, list[str], dict[str, object]]]:
    joined = join_with_pauses([load_pcm(DATA / "asr_en" / f"{n}.flac") for n in JOINED], 0.8)
    ref = "in being comparatively modern in eighteen thirteen eight the press yard has never been surpassed"
    return {
        "jfk-sealed-pauses": (load_pcm(JFK), REF_JFK.split(), {"endpointing": False, "eou_timeout_ms": 10000}),
        "jfk-defaults": (load_pcm(JFK), REF_JFK.split(), {}),
        "joined-by-pauses": (joined, ref.split(), {}),
    }


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[np.ndarray, list[str], dict[str, object]]]:
    return scenarios()


@pytest.mark.parametrize("scenario", ["jfk-sealed-pauses", "jfk-defaults", "joined-by-pauses"])
@pytest.mark.parametrize("mode", ["honest", "echo", "overlap", "loop"])
def test_every_word_is_committed_exactly_once(cases: dict, scenario: str, mode: str) -> None:
    pcm, words, options = cases[scenario]
    truth = truth_timeline(pcm, words)
    stub = StubDecoder(truth, mode)
    finals, jobs = stream(stub, new_session(**options), pcm)
    assert final_words(finals) == words
    assert all(job.prompt == "" for job in stub.jobs), "a decode of a final's audio was prompted"
    if scenario == "jfk-sealed-pauses":
        assert jobs[-1].sealed, "no pause was sealed: the seam under test never happened"


@pytest.mark.parametrize("scenario", ["jfk-sealed-pauses", "joined-by-pauses"])
def test_empty_outputs_never_duplicate(cases: dict, scenario: str) -> None:
    pcm, words, options = cases[scenario]
    finals, _ = stream(StubDecoder(truth_timeline(pcm, words), "empty"), new_session(**options), pcm)
    out = final_words(finals)
    assert is_subsequence(out, words) and not repeated_ngrams(out, words, n=2)


def test_partials_commit_once_when_the_decoder_echoes_committed_words() -> None:
    """Partials are prompted with committed words; an echo of them at the seam is not committed twice."""
    pcm = load_pcm(JFK)
    truth = truth_timeline(pcm, REF_JFK.split())
    stub = StubDecoder(truth, "echo")
    session = new_session(endpointing=False, eou_timeout_ms=10000)
    for start in range(0, pcm.size, 1600):
        session.feed(pcm[start : start + 1600])
        job = session.partial_job()
        if job is not None:
            session.apply_partial(job, stub(job))
    out = [w.word for w in session.committed]
    assert out and out == REF_JFK.split()[: len(out)]


# ---- bounded buffer, VAD off the event loop ------------------------------------------------------
def test_a_huge_chunk_keeps_the_buffer_bounded_and_forces_a_final() -> None:
    speech = load_pcm(JFK)
    session = new_session()
    session.audio.capacity = 5 * SR
    session.feed(np.tile(speech, 6))  # 66 s in one frame
    assert session.audio.held_seconds <= 5.0
    assert session.audio.dropped == 61 * SR
    assert session.auto_final_reason() in {"max_buffer", "max_segment"}
    job = session.final_job("max_buffer")
    assert job.audio is not None and job.audio.size <= 5 * SR
    assert session.audio.held_seconds == 0.0


def test_the_runner_runs_the_vad_of_a_large_chunk_on_a_worker_thread() -> None:
    threads: list[str] = []
    session = new_session()
    original = session.vad.feed

    def feed(audio: np.ndarray) -> list:  # type: ignore[type-arg]
        threads.append(threading.current_thread().name)
        return original(audio)

    session.vad.feed = feed  # type: ignore[method-assign]

    async def go() -> None:
        scheduler = DecodeScheduler(LiveServerConfig())
        events: list[LiveEvent] = []

        async def emit(event: LiveEvent) -> None:
            events.append(event)

        runner = SessionRunner("s", session, StubBatchDecoder(), scheduler, emit)  # type: ignore[arg-type]
        await runner.feed(np.zeros(800, np.float32))
        await runner.feed(np.zeros(5 * SR, np.float32))
        scheduler.shutdown()

    asyncio.run(go())
    assert threads[0] == threading.main_thread().name
    assert threads[1] != threading.main_thread().name


def test_a_run_said_again_in_no_time_is_an_echo() -> None:
    """The AVX2 int8 decode of JFK's first phrase: the phrase again, squeezed into 60 ms at its end."""
    first = [dw("And", 0.0, 0.52), dw("so", 0.52, 0.86), dw("my", 0.86, 1.2), dw("fellow", 1.2, 1.54),
             dw("Americans.", 1.54, 1.96)]
    echo = [dw("And", 1.96, 1.96), dw("so", 1.96, 1.96), dw("my", 1.96, 1.96), dw("fellow", 1.96, 1.96),
            dw("Americans.", 1.96, 2.02)]
    assert texts(trim_seam([], first + echo, 0.0, POLICY)) == texts(first)
    assert texts(drop_echoes(first + echo, POLICY)) == texts(first)


def test_a_phrase_really_said_twice_stays() -> None:
    """A speaker repeating a phrase takes about as long the second time: both copies are kept."""
    words = [dw("thank", 0.0, 0.3), dw("you", 0.3, 0.6), dw("thank", 0.7, 0.95), dw("you", 0.95, 1.2)]
    assert texts(drop_echoes(words, POLICY)) == ["thank", "you", "thank", "you"]


def test_a_loop_with_unvoiced_words_is_an_echo_and_its_cut_off_third_copy_goes_too() -> None:
    """An AVX2 decode of pyannote_sample after a pause: the first sentence, then Whisper looping over other
    speech ("Neither did I" heard as "I didn't know"), half of the copy without audio, a third copy begun."""
    first = [dw("I", 0.0, 0.26), dw("didn't", 0.26, 0.46), dw("know", 0.46, 0.58), dw("you", 0.58, 0.72),
             dw("were", 0.72, 0.82), dw("there.", 0.82, 1.1)]
    loop = [dw("I", 1.24, 1.52), dw("didn't", 1.52, 1.64), dw("know", 1.64, 1.94), dw("you", 1.94, 1.94),
            dw("were", 1.94, 1.94), dw("there.", 1.94, 1.96), dw("I", 1.96, 2.08), dw("didn", 2.08, 2.9)]
    assert texts(drop_echoes(first + loop, POLICY)) == texts(first)
    assert texts(trim_seam([], first + loop, 0.0, POLICY)) == texts(first)
    heard_again = [*loop[:3], dw("you", 1.94, 2.1), dw("were", 2.1, 2.3), dw("there.", 2.3, 2.6), dw("Okay.", 2.8, 3.1)]
    assert texts(drop_echoes(first + heard_again, POLICY)) == texts(first + heard_again)


def test_an_unvoiced_first_copy_goes_and_the_heard_copy_cut_by_the_decode_end_stays() -> None:
    """Another pyannote_sample decode: the sentence squeezed into no time, then said over its audio, cut."""
    squeezed = [dw("I", 0.0, 0.12), dw("don't", 0.12, 0.44), dw("hear", 0.44, 0.46), dw("that", 0.46, 0.46),
                dw("New", 0.46, 0.46), dw("Jersey", 0.46, 0.46), dw("now.", 0.46, 0.46)]
    heard = [dw("I", 0.46, 1.04), dw("don't", 1.04, 1.26), dw("hear", 1.26, 1.36), dw("that", 1.36, 1.58),
             dw("New", 1.58, 1.74), dw("Jersey", 1.74, 2.1)]
    assert texts(drop_echoes(squeezed + heard, POLICY)) == texts(heard)
    assert texts(trim_seam([], squeezed + heard, 0.0, POLICY)) == texts(heard)


# ---- a final whose decode stops before the speech does ---------------------------------------------
class StopsEarly(StubDecoder):
    """Honest, but every answer ends after its first word (Whisper's end of text before the speech ends)."""

    def __call__(self, job: DecodeJob) -> DecodeResult | None:
        result = super().__call__(job)
        return None if result is None else DecodeResult(result.words[:1], "en")


def stream_with_partials(final_decode: StubDecoder, partial_decode: StubDecoder, session: LiveSession,
                         pcm: np.ndarray) -> list[FinalSegment]:
    """Like `stream`, with a partial decode after every 100 ms feed (as the runner schedules them)."""
    finals: list[FinalSegment] = []
    for start in range(0, pcm.size, 1600):
        session.feed(pcm[start : start + 1600])
        job = session.partial_job()
        if job is not None:
            session.apply_partial(job, partial_decode(job))
        reason = session.auto_final_reason()
        if reason:
            job = session.final_job(reason)
            finals.append(session.apply_final(job, final_decode(job)))
    job = session.final_job("finalize")
    finals.append(session.apply_final(job, final_decode(job)))
    return [f for f in finals if f.words]


@pytest.mark.parametrize("scenario", ["jfk-sealed-pauses", "joined-by-pauses"])
@pytest.mark.parametrize("mode", ["stops-early", "empty", "honest", "overlap"])
def test_words_partials_agreed_on_past_a_final_that_stops_early_are_kept_once(
    cases: dict, scenario: str, mode: str
) -> None:
    """Finals (no speculative decodes here) that stop after their first word keep what partials committed
    after it; honest and shifted finals gain nothing twice."""
    pcm, words, options = cases[scenario]
    truth = truth_timeline(pcm, words)
    final_stub = StopsEarly(truth, "honest") if mode == "stops-early" else StubDecoder(truth, mode)
    finals = stream_with_partials(final_stub, StubDecoder(truth, "honest"), new_session(**options), pcm)
    out = final_words(finals)
    assert is_subsequence(out, words) and not repeated_ngrams(out, words, n=2)
    if mode in ("stops-early", "empty"):
        assert len(out) >= len(words) - 2 * len(finals), f"words partials agreed on were lost: {out}"
    else:
        assert out == words
