"""One live decode pass straight on CTranslate2: short encoder window, greedy/beam text, word alignment."""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import numpy as np
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_ctranslate2_storage, get_suppressed_tokens, merge_punctuations

from models.asr import WhisperEngine
from models.languages import pick_language
from models.streaming.config import DecoderConfig

SAMPLE_RATE = 16000
HOP = 160  # feature frames are 10 ms
FULL_WINDOW_FRAMES = 3000
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


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
    compute_seconds: float = 0.0

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


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


class LiveDecoder:
    """Thread-safe wrapper over a loaded engine; holds no per-session state."""

    def __init__(self, engine: WhisperEngine, config: DecoderConfig) -> None:
        self.engine = engine
        self.config = config
        self._fw = engine.model
        self._tokenizers: dict[str | None, Tokenizer] = {}

    def _tokenizer(self, language: str | None) -> Tokenizer:
        tok = self._tokenizers.get(language)
        if tok is None:
            multilingual = self._fw.model.is_multilingual
            tok = Tokenizer(self._fw.hf_tokenizer, multilingual, task="transcribe", language=language or "en")
            self._tokenizers[language] = tok
        return tok

    def _features(self, audio: np.ndarray) -> tuple[np.ndarray, int]:
        """Log-mel features padded to a short window (or Whisper's 30 s); returns (features, content frames)."""
        features = self._fw.feature_extractor(audio)
        content = min(audio.size // HOP, FULL_WINDOW_FRAMES)
        if self.config.full_window:
            window = FULL_WINDOW_FRAMES
        else:
            wanted = content + int(self.config.pad_seconds * 100)
            window = min(FULL_WINDOW_FRAMES, max(int(self.config.min_window_seconds * 100), wanted))
            window += window % 2  # the encoder's stride-2 convolution wants an even frame count
        return pad_or_trim(features[:, :content], window), content

    def _language(self, encoder_output: object, candidates: tuple[str, ...] | None) -> tuple[str, float]:
        results = self._fw.model.detect_language(encoder_output)[0]
        probabilities = [(token[2:-2], float(p)) for token, p in results]
        if candidates:
            return pick_language(probabilities, candidates)
        return probabilities[0]

    def _generate(  # type: ignore[no-untyped-def]
        self,
        encoder_output: object,
        tokenizer: Tokenizer,
        prompt_ids: list[int],
        hotwords: str | None,
        final: bool,
        greedy: bool,
    ):
        prompt = self._fw.get_prompt(tokenizer, prompt_ids, without_timestamps=True, hotwords=hotwords)
        new_tokens = self.config.final_max_new_tokens if final else self.config.max_new_tokens
        max_length = min(self._fw.max_length, len(prompt) + new_tokens)
        return self._fw.model.generate(
            encoder_output,
            [prompt],
            beam_size=self.config.final_beam_size if final and not greedy else self.config.beam_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )[0]

    def decode(
        self,
        audio: np.ndarray,
        *,
        language: str | None,
        candidates: tuple[str, ...] | None = None,
        prompt: str = "",
        hotwords: str | None = None,
        final: bool = False,
        greedy: bool = False,
    ) -> DecodeResult:
        """Decode `audio` (16 kHz mono) at temperature 0; `language=None` detects among `candidates`.

        `final=True` uses the final-pass search (`final_beam_size`, `final_max_new_tokens`); `greedy`
        keeps the final's token budget but searches with `beam_size`.
        """
        started = time.perf_counter()
        features, content = self._features(audio)
        if content < 2:
            return DecodeResult(language=language)
        encoder_output = self._fw.model.encode(get_ctranslate2_storage(features[None]), to_cpu=False)
        probability: float | None = None
        if not self._fw.model.is_multilingual:
            language = "en"
        elif language is None:
            language, probability = self._language(encoder_output, candidates)
        tokenizer = self._tokenizer(language)
        prompt = clip_prompt(prompt, self.config.prompt_chars)
        prompt_ids = tokenizer.encode(" " + prompt)[-(self._fw.max_length // 2 - 1) :] if prompt else []
        result = self._generate(encoder_output, tokenizer, prompt_ids, hotwords, final, greedy)
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        text = tokenizer.decode(tokens)
        if prompt_ids and _compression_ratio(text) > self.config.compression_ratio_threshold:
            # A prompt can drag the decoder into repeating itself; the unprompted pass is safer.
            result = self._generate(encoder_output, tokenizer, [], hotwords, final, greedy)
            tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
            text = tokenizer.decode(tokens)
        if _compression_ratio(text) > self.config.compression_ratio_threshold:
            tokens = []  # still a loop ("S S S S ..."): report nothing rather than garbage
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else -10.0
        if not tokens or (
            result.no_speech_prob > self.config.no_speech_threshold and avg_logprob < self.config.log_prob_threshold
        ):
            return DecodeResult(language=language, language_probability=probability,
                                compute_seconds=time.perf_counter() - started)
        alignment = self._fw.find_alignment(tokenizer, [tokens], encoder_output, content)[0]
        merge_punctuations(alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS)
        words = [
            DecodedWord(a["word"], float(a["start"]), float(a["end"]), float(a["probability"]))
            for a in alignment
            if a["word"].strip()
        ]
        return DecodeResult(words, language, probability, time.perf_counter() - started)
