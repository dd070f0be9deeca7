"""Optional enrichment stages (speakers, redaction), loaded once and shared by every request and session."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from models.redaction import RedactionConfig, Redactor
from models.speakers import SpeakerAnalyzer

log = logging.getLogger(__name__)

SPEAKER_FEATURES = frozenset({"diarize", "gender_detection", "emotion_detection"})
REDACTION_FEATURES = frozenset({"redact_pii", "redact_pci"})


@dataclass
class Stages:
    """What the loaded configuration can do beyond plain ASR; `None` means the stage is switched off."""

    speakers: SpeakerAnalyzer | None = None
    redactor: Redactor | None = None

    @property
    def features(self) -> frozenset[str]:
        """The request options these stages serve; any other option flag is refused by the transport."""
        enabled: frozenset[str] = frozenset()
        if self.speakers is not None:
            enabled |= SPEAKER_FEATURES
        if self.redactor is not None:
            enabled |= REDACTION_FEATURES
        return enabled

    @classmethod
    def load(cls, stages: dict[str, Any]) -> Stages:
        """Load every stage the YAML `stages` section enables (`<stage>.enabled: false` turns one off)."""

        def enabled(*names: str) -> bool:
            return any((stages.get(name) or {}).get("enabled", True) for name in names)

        speakers = None
        if enabled("diarization", "gender", "emotion"):
            config = {k: {kk: vv for kk, vv in (v or {}).items() if kk != "enabled"} for k, v in stages.items()}
            speakers = SpeakerAnalyzer.from_stages(config)
            log.info("speaker stages ready (diarization, gender, emotion)")
        redactor = None
        if enabled("redaction"):
            raw = {k: v for k, v in (stages.get("redaction") or {}).items() if k != "enabled"}
            redactor = Redactor(RedactionConfig.from_mapping(raw))
            log.info("redaction ready")
        return cls(speakers=speakers, redactor=redactor)
