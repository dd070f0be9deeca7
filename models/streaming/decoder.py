"""Live decodes straight on CTranslate2: many sessions' audio in one encode + one generate, then word alignment.

Each request's log-mel features are padded to one common window (never shorter than the short
`min_window_seconds`, or Whisper's 30 s with `full_window`), encoded (row by row on CPU, as one batch
with `batch_encode`), and generated with one batch of prompts; only requests that share a search
(`beam_size`) are batched together.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field, replace

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens, merge_punctuations

from models.audio import SAMPLE_RATE
from models.ct2_threads import SplitThreadsModel
from models.languages import pick_language
from models.streaming.config import DecoderConfig

log = logging.getLogger(__name__)
HOP = 160  # feature frames are 10 ms
FULL_WINDOW_FRAMES = 3000
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"
TOKEN_SLACK = 8  # tokens allowed beyond `max_tokens_per_second` (very short audio, punctuation)


@dataclass
class DecodedWord:
    """A word with times relative to the start of the decoded audio (seconds)."""

    text: str
    start: float
    end: float
    probability: float


@dataclass
class DecodeResult:
    words: list[DecodedWord] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass(frozen=True)
class DecodeRequest:
    """One session's audio (16 kHz mono) and how to decode it; `language=None` detects among `candidates`.

    `final=True` uses the final-pass search (`final_beam_size`, `final_max_new_tokens`); `greedy`
    keeps the final's token budget but searches with `beam_size`.
    """

    audio: np.ndarray
    language: str | None
    candidates: tuple[str, ...] | None = None
    prompt: str = ""
    hotwords: str | None = None
    final: bool = False
    greedy: bool = False


def _compression_ratio(text: str) -> float:
    raw = text.encode()
    return len(raw) / max(1, len(zlib.compress(raw)))


def clip_prompt(text: str, max_chars: int) -> str:
    """The last `max_chars` characters of `text`, starting at a word boundary."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    cut = len(text) - max_chars
    if text[cut - 1] == " ":
        return text[cut:]
    space = text.find(" ", cut)
    return text[space + 1 :] if space >= 0 else text[cut:]


@dataclass
class _Item:
    """Per-request state inside one batched decode."""

    request: DecodeRequest
    content: int  # feature frames that hold audio
    language: str | None = None
    probability: float | None = None
    prompt_ids: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    no_speech: float = 0.0
    score: float = 0.0
    words: list[DecodedWord] = field(default_factory=list)


class LiveDecoder:
    """Thread-safe wrapper over a loaded CTranslate2 Whisper model; holds no per-session state."""

    def __init__(self, model: WhisperModel | SplitThreadsModel, config: DecoderConfig) -> None:
        self.config = config
        self._fw = model
        self._tokenizers: dict[str | None, Tokenizer] = {}

    def beam_size(self, request: DecodeRequest) -> int:
        """The search a request needs; only requests with equal beam sizes share a batch."""
        return self.config.final_beam_size if request.final and not request.greedy else self.config.beam_size

    def window_frames(self, samples: int, final: bool = False) -> int:
        """Encoder window (feature frames) for audio of `samples`: the speech plus padding, or 30 s."""
        if self.config.full_window:
            return FULL_WINDOW_FRAMES
        pad = self.config.pad_seconds
        if final and self.config.final_pad_seconds is not None:
            pad = self.config.final_pad_seconds
        wanted = min(samples // HOP, FULL_WINDOW_FRAMES) + int(pad * 100)
        window = min(FULL_WINDOW_FRAMES, max(int(self.config.min_window_seconds * 100), wanted))
        return window + window % 2  # the encoder's stride-2 convolution wants an even frame count

    def _tokenizer(self, language: str | None) -> Tokenizer:
        tok = self._tokenizers.get(language)
        if tok is None:
            multilingual = self._fw.model.is_multilingual
            tok = Tokenizer(self._fw.hf_tokenizer, multilingual, task="transcribe", language=language or "en")
            self._tokenizers[language] = tok
        return tok

    def decode_batch(self, requests: list[DecodeRequest]) -> list[DecodeResult]:
        """Decode every request at temperature 0 in one encode and one generate call (plus retries)."""
        items = [_Item(r, min(r.audio.size // HOP, FULL_WINDOW_FRAMES), r.language) for r in requests]
        live = [i for i in items if i.content >= 2]
        if live:
            self._run(live)
        return [self._result(i) for i in items]

    def _run(self, items: list[_Item]) -> None:
        window = max(self.window_frames(i.request.audio.size, i.request.final) for i in items)
        features = np.stack([self._features(i.request, window) for i in items]).astype(np.float32)
        encoded = self._encode(features)
        self._languages(items, encoded)
        for item in items:
            tokenizer = self._tokenizer(item.language)
            prompt = clip_prompt(item.request.prompt, self.config.prompt_chars)
            item.prompt_ids = tokenizer.encode(" " + prompt)[-(self._fw.max_length // 2 - 1) :] if prompt else []
        self._generate(items, encoded, list(range(len(items))))
        # A prompt can drag the decoder into repeating itself; the unprompted pass is safer.
        retry = [n for n, i in enumerate(items) if i.prompt_ids and self._looping(i)]
        for n in retry:
            items[n].prompt_ids = []
        if retry:
            self._generate(items, encoded, retry)
        for item in items:
            if self._looping(item):
                item.tokens = []  # still a loop ("S S S S ..."): report nothing rather than garbage
        # Greedy search sometimes takes end-of-text as the very first token on speech the VAD heard
        # (seen on AVX2 int8: JFK's "what your country can do for you" came back empty, beam 5 heard it).
        self._search_again(items, encoded, [n for n, i in enumerate(items) if self._greedy_final(i) and not i.tokens])
        self._align(items, encoded)
        self._search_early_stops(items, encoded)

    def _features(self, request: DecodeRequest, window: int) -> np.ndarray:
        """Log-mel features of the request's audio, padded with zero frames to `window`; a final's audio first
        gets `final_silence_seconds` of silence."""
        audio = request.audio
        if request.final and self.config.final_silence_seconds > 0:
            audio = np.concatenate([audio, np.zeros(int(self.config.final_silence_seconds * SAMPLE_RATE), audio.dtype)])
        return pad_or_trim(self._fw.feature_extractor(audio)[:, : min(audio.size // HOP, window)], window)

    def _greedy_final(self, item: _Item) -> bool:
        return item.request.final and item.request.greedy and self.config.final_beam_size > self.config.beam_size

    def _search_early_stops(self, items: list[_Item], encoded: np.ndarray) -> None:
        """Greedy final-audio decodes whose words stop well before their audio does get one beam-search pass,
        kept if its words reach further (seen on Intel int8 with a 5.8 s window: "He could wait no longer"
        decoded as "He")."""
        rows = [n for n, i in enumerate(items) if self._greedy_final(i) and i.words
                and i.content / 100 - i.words[-1].end > self.config.early_stop_seconds]
        if not rows:
            return
        greedy = {n: (items[n].tokens, items[n].words) for n in rows}
        self._search_again(items, encoded, rows)
        for n in rows:
            items[n].words = []
        self._align([items[n] for n in rows], encoded[rows])
        for n in rows:
            tokens, words = greedy[n]
            searched = items[n].words
            log.debug("greedy final decode stopped %.2f s early (%r); beam search: %r", items[n].content / 100
                      - words[-1].end, "".join(w.text for w in words), "".join(w.text for w in searched))
            if not searched or searched[-1].end <= words[-1].end:
                items[n].tokens, items[n].words = tokens, words

    def _search_again(self, items: list[_Item], encoded: np.ndarray, rows: list[int]) -> None:
        """Decode `rows` (greedy final-audio requests) once more with the final's beam search."""
        if not rows:
            return
        greedy = {n: items[n].request for n in rows}
        for n in rows:
            items[n].request = replace(greedy[n], greedy=False)
        self._generate(items, encoded, rows)
        for n in rows:
            if self._looping(items[n]):
                items[n].tokens = []
            items[n].request = greedy[n]

    def _encode(self, features: np.ndarray) -> np.ndarray:
        """Encoder output of every row; one row per call unless `batch_encode` (on CPU, CTranslate2's
        batched encoder measured 2.6–3× slower than the same rows one by one; batched generate is faster)."""
        if self.config.batch_encode:
            return np.asarray(self._fw.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=True))
        return np.concatenate([
            np.asarray(self._fw.model.encode(ctranslate2.StorageView.from_array(features[n : n + 1]), to_cpu=True))
            for n in range(features.shape[0])
        ])

    def _languages(self, items: list[_Item], encoded: np.ndarray) -> None:
        if not self._fw.model.is_multilingual:
            for item in items:
                item.language = "en"
            return
        unknown = [n for n, i in enumerate(items) if i.language is None]
        if not unknown:
            return
        detected = self._fw.model.detect_language(ctranslate2.StorageView.from_array(encoded[unknown]))
        for n, results in zip(unknown, detected, strict=True):
            probabilities = [(token[2:-2], float(p)) for token, p in results]
            candidates = items[n].request.candidates
            items[n].language, items[n].probability = (
                pick_language(probabilities, candidates) if candidates else probabilities[0]
            )

    def _looping(self, item: _Item) -> bool:
        text = self._tokenizer(item.language).decode(item.tokens)
        return _compression_ratio(text) > self.config.compression_ratio_threshold

    def _generate(self, items: list[_Item], encoded: np.ndarray, rows: list[int]) -> None:
        """One generate call per prompt shape: CTranslate2 wants <|startoftranscript|> at one position per batch."""
        prompts = {
            n: self._fw.get_prompt(self._tokenizer(items[n].language), items[n].prompt_ids, without_timestamps=True,
                                   hotwords=items[n].request.hotwords)
            for n in rows
        }
        sot = self._tokenizer(items[rows[0]].language).sot
        plain = [n for n in rows if prompts[n].index(sot) == 0]
        prompted = [n for n in rows if n not in plain]
        if prompted:
            # Previous text is cut (oldest tokens first) to the shortest in the batch.
            keep = min(prompts[n].index(sot) for n in prompted) - 1
            for n in prompted:
                at = prompts[n].index(sot)
                prompts[n] = [prompts[n][0], *prompts[n][at - keep : at], *prompts[n][at:]]
        for group in (plain, prompted):
            if group:
                self._generate_group(items, encoded, group, [prompts[n] for n in group])

    def _generate_group(self, items: list[_Item], encoded: np.ndarray, rows: list[int], prompts: list[list[int]]) -> None:
        chosen = [items[n] for n in rows]
        new_tokens = max(self._token_budget(i) for i in chosen)
        suppress = get_suppressed_tokens(self._tokenizer(chosen[0].language), [-1])
        results = self._fw.model.generate(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded[rows])),
            prompts,
            beam_size=self.beam_size(chosen[0].request),
            max_length=min(self._fw.max_length, max(len(p) for p in prompts) + new_tokens),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=suppress,
        )
        for item, result in zip(chosen, results, strict=True):
            eot = self._tokenizer(item.language).eot
            item.tokens = [t for t in result.sequences_ids[0] if t < eot]
            item.no_speech = result.no_speech_prob
            item.score = result.scores[0]

    def _token_budget(self, item: _Item) -> int:
        """New tokens a request may generate: its kind's limit, and no more than speech of its length can hold
        (a greedy decode stuck in a loop would otherwise run to the limit while every other session waits)."""
        limit = self.config.final_max_new_tokens if item.request.final else self.config.max_new_tokens
        spoken = self.config.max_tokens_per_second * item.content / 100 + TOKEN_SLACK
        return min(limit, int(spoken))

    def _heard(self, item: _Item) -> bool:
        if not item.tokens:
            return False
        avg_logprob = item.score * len(item.tokens) / (len(item.tokens) + 1)
        return not (item.no_speech > self.config.no_speech_threshold and avg_logprob < self.config.log_prob_threshold)

    def _align(self, items: list[_Item], encoded: np.ndarray) -> None:
        """Word times by cross-attention alignment, one call per language (the start sequence differs)."""
        heard = [n for n, i in enumerate(items) if self._heard(i)]
        for item in (i for n, i in enumerate(items) if n not in heard):
            item.tokens = []
        for language in {items[n].language for n in heard}:
            rows = [n for n in heard if items[n].language == language]
            alignments = self._fw.find_alignment(
                self._tokenizer(language),
                [items[n].tokens for n in rows],
                ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded[rows])),
                [items[n].content for n in rows],  # type: ignore[arg-type]
            )
            for n, alignment in zip(rows, alignments, strict=True):
                merge_punctuations(alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS)
                items[n].words = [
                    DecodedWord(a["word"], float(a["start"]), float(a["end"]), float(a["probability"]))
                    for a in alignment
                    if a["word"].strip()
                ]

    def _result(self, item: _Item) -> DecodeResult:
        return DecodeResult(item.words if item.tokens else [], item.language, item.probability)
