"""Validation of the live WebSocket handshake query (§4.1, §4.2) into a typed request; errors are 400s."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from models.languages import LanguagePlan
from models.registry import LoadedModel, ModelRegistry
from models.streaming.codecs import ENCODINGS, SAMPLE_RATES
from models.streaming.config import LiveModelConfig
from models.streaming.pipeline import LiveStageOptions
from models.streaming.session import SessionOptions
from models.text import Keyword, KeywordError, TextOptions, keyword_prompt, text_options_from_query
from server.errors import ApiError
from server.options import FEATURE_FLAGS, parse_features, resolve_language, resolve_model
from server.params import parse_bool, parse_choice, parse_int

PULSE_PRO_MESSAGE = "Pulse Pro has no streaming transport. Use POST /waves/v1/stt/?model=pulse-pro instead."
LIVE_MODEL_MESSAGE = "Invalid value for query param: model. Supported values: pulse."
# E4 and an E2 request without `language` are routed to European auto-detect (§4.1, PROBE).
DEFAULT_LANGUAGE = "multi-eu"
# emotion/gender are pre-recorded only (§4.2): accepted and ignored on the socket.
LIVE_FEATURE_FLAGS = tuple(f for f in FEATURE_FLAGS if f not in ("emotion_detection", "gender_detection"))
EOU_RANGE = (100, 10000)
ENDPOINTING_RANGE = (10, 10000)
MAX_WORDS_RANGE = (1, 100000)


@dataclass(frozen=True)
class LiveRequest:
    model: LoadedModel
    language: LanguagePlan
    encoding: str
    sample_rate: int
    word_timestamps: bool
    sentence_timestamps: bool
    full_transcript: bool
    vad_events: bool
    text: TextOptions
    session: SessionOptions
    keywords: list[Keyword] = field(default_factory=list)
    features: frozenset[str] = frozenset()

    def stage_options(self) -> LiveStageOptions:
        return LiveStageOptions(
            text=self.text,
            diarize="diarize" in self.features,
            redact_pii="redact_pii" in self.features,
            redact_pci="redact_pci" in self.features,
            utterances=self.sentence_timestamps,
            utterance_pause_seconds=self.model.config.utterance_pause_seconds,
            language=self.language.pinned,
        )


def _text_options(params: Mapping[str, str]) -> TextOptions:
    """Formatting switches and keywords (the one call into models.text for the handshake)."""
    try:
        return text_options_from_query(params)
    except KeywordError as exc:
        raise ApiError(400, f"Invalid value for query param: keywords. {exc}") from None


def _vad_events(params: Mapping[str, str]) -> bool:
    """`vad_events` wins over its alias `vad` when both are present."""
    if params.get("vad_events") is not None:
        return parse_bool(params, "vad_events")
    return parse_bool(params, "vad")


def parse_live(
    registry: ModelRegistry,
    params: Mapping[str, str],
    *,
    legacy: bool,
    enabled_features: frozenset[str],
    live_models: Mapping[str, LiveModelConfig],
) -> LiveRequest:
    """Everything a live session needs, or ApiError(400) before the upgrade."""
    name = (params.get("model") or "").strip()
    if name == "pulse-pro" and not legacy:
        raise ApiError(400, PULSE_PRO_MESSAGE)
    model = registry.get("pulse") if legacy else resolve_model(registry, params, None)
    if model is None or not model.config.streaming:
        raise ApiError(400, LIVE_MODEL_MESSAGE)
    session_defaults = live_models[model.name].session
    language = resolve_language(model, params.get("language") or DEFAULT_LANGUAGE)
    encoding = parse_choice(params, "encoding", ENCODINGS, "linear16") or "linear16"
    rate_raw = params.get("sample_rate")
    sample_rate = parse_int(params, "sample_rate", 16000, 1, 1_000_000) or 16000
    if sample_rate not in SAMPLE_RATES:
        raise ApiError(
            400,
            f"Invalid value for query param: sample_rate. Supported values: "
            f"{' | '.join(map(str, SAMPLE_RATES))}, got '{rate_raw}'.",
        )
    eou = parse_int(params, "eou_timeout_ms", session_defaults.default_eou_timeout_ms, *EOU_RANGE)
    endpointing_ms = parse_int(
        params, "endpointing_timeout", session_defaults.default_endpointing_ms, *ENDPOINTING_RANGE
    )
    max_words = parse_int(params, "max_words", None, *MAX_WORDS_RANGE)
    features = parse_features(params, LIVE_FEATURE_FLAGS, enabled_features)
    text = _text_options(params)
    keywords = list(text.keywords)
    hotwords = keyword_prompt(keywords) or None
    session = SessionOptions(
        language=language.pinned,
        candidates=language.candidates,
        endpointing=parse_bool(params, "endpointing", True),
        endpointing_ms=endpointing_ms or session_defaults.default_endpointing_ms,
        eou_timeout_ms=eou or session_defaults.default_eou_timeout_ms,
        max_words=max_words,
        finalize_on_words=parse_bool(params, "finalize_on_words", True),
        hotwords=hotwords,
    )
    return LiveRequest(
        model=model,
        language=language,
        encoding=encoding,
        sample_rate=sample_rate,
        word_timestamps=parse_bool(params, "word_timestamps", legacy),
        sentence_timestamps=parse_bool(params, "sentence_timestamps"),
        full_transcript=parse_bool(params, "full_transcript"),
        vad_events=_vad_events(params),
        text=text,
        session=session,
        keywords=keywords,
        features=features,
    )
