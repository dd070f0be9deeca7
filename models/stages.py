"""Optional enrichment stages (speakers, redaction), loaded once and shared by every request and session."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.config import StagesConfig
from models.speakers import SpeakerAnalyzer

if TYPE_CHECKING:
    from models.redaction import Redactor

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
    def load(cls, stages: StagesConfig) -> Stages:
        """Load every stage the YAML `stages` section enables (`<stage>.enabled: false` turns one off)."""
        speakers = None
        if stages.any_enabled():
            speakers = SpeakerAnalyzer(stages)
            log.info("speaker stages ready (diarization, gender, emotion)")
        redactor = None
        if stages.redaction.enabled:
            from models.redaction import Redactor  # Presidio + spaCy: imported only when the stage is on

            redactor = Redactor(stages.redaction)
            log.info("redaction ready")
        return cls(speakers=speakers, redactor=redactor)
