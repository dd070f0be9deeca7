"""Named hyper-parameters of the speaker stages (diarization, gender, emotion): YAML `stages.<name>`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from models.streaming.config import _Strict


class SpeakerVadConfig(_Strict):
    """Silero VAD (bundled with faster-whisper) used to find where speakers talk."""

    # 0.2 rather than Silero's usual 0.5: AMI's quiet far-field speech is otherwise missed
    # (speech-detection error on the shared set 0.166 at 0.5 → 0.095 at 0.2).
    threshold: float = 0.2
    min_speech_ms: int = 200
    min_silence_ms: int = 300
    speech_pad_ms: int = 100
    # Silero's LSTM state starts afresh after this much quiet; 0 carries it through the chunk. Cleared after 2 s as
    # the ASR's VAD is, this low threshold gained false alarms: DER on the shared set 0.349 -> 0.356 (missed
    # 0.246 -> 0.235, false alarm 0.021 -> 0.033, confusion 0.083 -> 0.088; scripts/eval_diarization.py).
    reset_after_silence_ms: int = Field(0, ge=0)
    # When VAD finds nothing in a short chunk (a clip, a live final) that is this loud overall
    # (RMS dBFS), the whole chunk counts as speech: better an embedding of odd audio than no
    # gender/emotion at all. Longer chunks are left empty (would be a long false alarm).
    fallback_dbfs: float = -45.0
    fallback_max_seconds: float = 10.0


class EmbeddingConfig(_Strict):
    """How the shared embedding track is cut: one speaker vector per window of speech."""

    backend: str = "resemblyzer"
    window_seconds: float = 1.5
    hop_seconds: float = 0.25
    # Without diarization only pooled statistics are needed, so windows can overlap less (cheaper).
    classify_hop_seconds: float = 1.0
    # Speech regions shorter than this produce no window: too short for a reliable voice print.
    min_region_seconds: float = 0.3
    # Windows are volume-normalised up to this level (the encoder was trained at -30 dBFS).
    target_dbfs: float = -30.0
    # Prosodic features (pitch/energy) feed the emotion head; computed on the same windows.
    pitch_fmin: float = 60.0
    pitch_fmax: float = 400.0
    threads: int = 2

    def for_request(self, diarize: bool) -> EmbeddingConfig:
        """Dense windows when turns must be found, sparser ones when only gender/emotion are asked."""
        return self if diarize else self.model_copy(update={"hop_seconds": self.classify_hop_seconds})


class DiarizationConfig(_Strict):
    """Embedded diarization: VAD → window embeddings → clustering → resegmentation → word snapping."""

    # `false` with gender and emotion also off: the speaker stages are not loaded (their options get a 400).
    enabled: bool = True
    backend: str = "embedded"
    vad: SpeakerVadConfig = Field(default_factory=SpeakerVadConfig)
    # Clustering: spectral clustering on a pruned cosine-affinity matrix; eigengap picks the count.
    clustering: str = "spectral"
    max_speakers: int = 8
    # Long files: at most this many items enter the affinity matrix (runs of windows are averaged).
    max_cluster_items: int = 1500
    # Keep this fraction of strongest affinities per row (NME-SC style p-pruning).
    pruning_fraction: float = 0.3
    # Optional NME-SC search: try these fractions and keep the clearest eigengap (empty = fixed fraction).
    pruning_search: list[float] = Field(default_factory=list)
    max_neighbors: int = 120
    # Graph Laplacian for spectral clustering: "unnormalized" or "symmetric" (normalised).
    laplacian: str = "unnormalized"
    # Below this mean off-diagonal cosine similarity spread, the file is one speaker.
    single_speaker_threshold: float = 0.8
    # Agglomerative alternative: merge until cosine distance exceeds this.
    ahc_threshold: float = 0.35
    # Resegmentation: re-assign windows to speaker centroids this many times (VBx-like refinement).
    resegment_iterations: int = 2
    # A speaker whose total speech is below this is merged into its closest neighbour.
    min_speaker_seconds: float = 1.0
    # After resegmentation, speakers whose centroids are more cosine-similar than this are merged.
    merge_threshold: float = 1.0
    # Frame grid for turn decisions and the median filter length (in frames) that smooths them.
    frame_seconds: float = 0.05
    smoothing_frames: int = 9
    # Softmax temperature turning window-to-centroid cosine similarities into speaker posteriors.
    posterior_temperature: float = 0.05
    # Overlap: also label the runner-up speaker where its posterior stays above this (1.0 = off;
    # measured on the shared set it added more false alarm than it recovered) for this many frames.
    overlap_threshold: float = 1.0
    overlap_min_frames: int = 4
    # Live path: a final whose voice is at least this cosine-similar to a known speaker joins it.
    online_threshold: float = 0.75
    # pyannote backend (GPU deployments): local path or hub id + token.
    pyannote_pipeline: str = "pyannote/speaker-diarization-3.1"
    pyannote_token: str | None = None
    pyannote_device: str = "cpu"


class ClassifierConfig(_Strict):
    """A gender or emotion stage: embedded linear head or a transformers audio-classification model."""

    # See DiarizationConfig.enabled: the speaker stages load while any of the three is enabled.
    enabled: bool = True
    backend: str = "embedded"
    # Embedded: path to committed .npz weights (relative paths resolve inside models/speakers/weights).
    weights: str = ""
    # transformers backend: local path or hub id (fetched at deploy time), and model label → our label.
    model: str | None = None
    label_map: dict[str, str] = Field(default_factory=dict)
    device: str = "cpu"
    # transformers backend: audio per classified segment is capped to this length.
    max_segment_seconds: float = 10.0


class GenderConfig(ClassifierConfig):
    """`stages.gender`: the embedded head trained on LibriSpeech unless the YAML says otherwise."""

    weights: str = "gender.npz"


class EmotionConfig(ClassifierConfig):
    """`stages.emotion`: the embedded RAVDESS head unless the YAML says otherwise."""

    # RAVDESS-trained head: CC BY-NC-SA 4.0 (non-commercial). See weights/README.md.
    weights: str = "emotion.npz"


class SpeakerStagesConfig(_Strict):
    """The speaker part of YAML `stages`: diarization, gender and emotion plus the shared embedding track."""

    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    diarization: DiarizationConfig = Field(default_factory=DiarizationConfig)
    gender: GenderConfig = Field(default_factory=GenderConfig)
    emotion: EmotionConfig = Field(default_factory=EmotionConfig)

    @classmethod
    def from_stages(cls, stages: dict[str, Any] | None) -> SpeakerStagesConfig:
        """Validate a mapping with (some of) the keys `embedding`, `diarization`, `gender`, `emotion`."""
        return cls.model_validate(stages or {})

    def any_enabled(self) -> bool:
        return self.diarization.enabled or self.gender.enabled or self.emotion.enabled
