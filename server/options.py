"""Validation of the pre-recorded request's query options into a typed request (§3.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.audio import PCM_ENCODINGS, DecodeLimits, RawPcm
from models.languages import LanguageNotAvailable, LanguagePlan, UnknownLanguage, plan_language
from models.pipeline import SpeakerOptions, TranscribeOptions
from models.registry import LoadedModel, ModelRegistry
from server.errors import ApiError
from server.params import parse_bool, parse_int

MODEL_NAMES = ("pulse", "pulse-pro")
MISSING_MODEL = "Missing required query param: model. Supported values: pulse | pulse-pro."
INVALID_MODEL = "Invalid value for query param: model. Supported values: pulse | pulse-pro."

# Options that a later stage implements; until it is enabled, asking for one is an error, never a silent no-op.
FEATURE_FLAGS = ("diarize", "redact_pii", "redact_pci", "emotion_detection", "gender_detection")


# The SDK's streaming helper sends a list given for these comma-joined (`redact_pii=name,phone`): any
# value but empty or `false` asks for redaction, so a list never switches it silently off.
REDACTION_FLAGS = frozenset({"redact_pii", "redact_pci"})

# pulse-pro is the English batch model of the hosted service: no speaker or voice analytics there.
PULSE_ONLY_FEATURES = frozenset({"diarize", "emotion_detection", "gender_detection"})
MAX_SPEAKERS = 32
DEFAULT_PCM_RATE = 16000
MAX_PCM_RATE = 384000


@dataclass(frozen=True)
class PrerecordedRequest:
    model: LoadedModel
    language: LanguagePlan
    word_timestamps: bool
    features: frozenset[str]
    speakers: SpeakerOptions = SpeakerOptions()
    raw_pcm: RawPcm | None = None

    def pipeline_options(self, limits: DecodeLimits) -> TranscribeOptions:
        return TranscribeOptions(
            language=self.language,
            word_timestamps=self.word_timestamps,
            utterances=self.word_timestamps and self.model.name == "pulse",
            speakers=self.speakers,
            redact_pii="redact_pii" in self.features,
            redact_pci="redact_pci" in self.features,
            decode_limits=limits,
            raw_pcm=self.raw_pcm,
        )


def _flag_on(params: Mapping[str, str], flag: str) -> bool:
    if flag in REDACTION_FLAGS:
        raw = (params.get(flag) or "").strip().lower()
        return raw not in ("", "false")
    return parse_bool(params, flag)


def parse_features(
    params: Mapping[str, str], flags: tuple[str, ...], enabled_features: frozenset[str]
) -> frozenset[str]:
    """The optional stages asked for; 400 for one this server has not loaded (never a silent no-op)."""
    features = frozenset(flag for flag in flags if _flag_on(params, flag))
    unsupported = sorted(features - enabled_features)
    if unsupported:
        raise ApiError(400, f"Unsupported option: {', '.join(unsupported)} is not available on this server yet.")
    return features


def parse_speakers(params: Mapping[str, str], features: frozenset[str]) -> SpeakerOptions:
    """Speaker-count hints (extension): positive integers, min ≤ max; 400 otherwise."""
    counts = {
        name: parse_int(params, name, None, 1, MAX_SPEAKERS)
        for name in ("num_speakers", "min_speakers", "max_speakers")
    }
    if counts["min_speakers"] and counts["max_speakers"] and counts["min_speakers"] > counts["max_speakers"]:
        raise ApiError(400, "Invalid value for query param: min_speakers. It must not exceed max_speakers.")
    return SpeakerOptions(
        diarize="diarize" in features,
        gender="gender_detection" in features,
        emotion="emotion_detection" in features,
        **counts,
    )


def parse_raw_pcm(params: Mapping[str, str]) -> RawPcm | None:
    """`encoding` + `sample_rate` for a headerless PCM body (linear16/32, mulaw, alaw; default 16 kHz).

    Other `encoding` values are ignored as on the hosted service: the container says what it is.
    """
    rate = parse_int(params, "sample_rate", DEFAULT_PCM_RATE, 1, MAX_PCM_RATE) or DEFAULT_PCM_RATE
    encoding = (params.get("encoding") or "").strip().lower()
    return RawPcm(encoding, rate) if encoding in PCM_ENCODINGS else None


def resolve_model(registry: ModelRegistry, params: Mapping[str, str], default: str | None) -> LoadedModel:
    name = (params.get("model") or "").strip() or default
    if not name:
        raise ApiError(400, MISSING_MODEL)
    model = registry.get(name) if name in MODEL_NAMES else None
    if model is None:
        raise ApiError(400, INVALID_MODEL)
    return model


def region_error(code: str) -> ApiError:
    message = f"Language '{code}' has not been enabled in this region. Please contact support to request access."
    body = {
        "status": "error",
        "error_code": "LANGUAGE_NOT_ENABLED_IN_REGION",
        "message": message,
        "language": code,
        "region": "self-hosted",
    }
    return ApiError(400, message, body=body)


def resolve_language(model: LoadedModel, code: str | None) -> LanguagePlan:
    try:
        return plan_language(code, model.engine.supported_languages, model.config.english_only)
    except LanguageNotAvailable as exc:
        raise region_error(exc.code) from None
    except UnknownLanguage as exc:
        raise ApiError(
            400, f"Invalid value for query param: language. '{exc}' is not a supported language code."
        ) from None


def parse_prerecorded(
    registry: ModelRegistry,
    params: Mapping[str, str],
    *,
    default_model: str | None,
    default_language: str | None,
    enabled_features: frozenset[str],
) -> PrerecordedRequest:
    model = resolve_model(registry, params, default_model)
    language = resolve_language(model, params.get("language") or default_language)
    features = parse_features(params, FEATURE_FLAGS, enabled_features)
    if model.name == "pulse-pro" and features & PULSE_ONLY_FEATURES:
        names = ", ".join(sorted(features & PULSE_ONLY_FEATURES))
        raise ApiError(
            400, f"Unsupported option for pulse-pro: {names}. Use model=pulse for speaker and voice analytics."
        )
    speakers = parse_speakers(params, features)
    word_timestamps = parse_bool(params, "word_timestamps")
    return PrerecordedRequest(model, language, word_timestamps, features, speakers, parse_raw_pcm(params))
