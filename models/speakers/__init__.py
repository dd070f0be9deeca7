"""Who spoke and how: diarization, gender and emotion built on one shared per-request embedding track."""

from models.speakers.analyzer import EMOTION_LABELS, GENDER_LABELS, SpeakerAnalyzer, SpeakerJob
from models.speakers.config import ClassifierConfig, DiarizationConfig, EmbeddingConfig, SpeakerStagesConfig
from models.speakers.online import OnlineSpeakerTracker

__all__ = [
    "EMOTION_LABELS",
    "GENDER_LABELS",
    "ClassifierConfig",
    "DiarizationConfig",
    "EmbeddingConfig",
    "OnlineSpeakerTracker",
    "SpeakerAnalyzer",
    "SpeakerJob",
    "SpeakerStagesConfig",
]
