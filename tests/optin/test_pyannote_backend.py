"""PLUMBING ONLY: the `pyannote` diarization backend end to end with RANDOMLY INITIALISED local checkpoints.

The segmentation model, the speaker-embedding model and the PLDA are built in code with random
weights and saved to a temporary directory, with a pipeline `config.yaml` pointing at them; no hub is
touched. The pipeline then runs on a real AMI clip. Because the weights are random, the speaker labels
and turn boundaries MEAN NOTHING: these tests only check that the project's `PyannoteDiarizer` and
`SpeakerAnalyzer` load a pyannote.audio pipeline from a local path, feed it audio, and turn its output
into in-range speaker turns and integer word speakers. Accuracy is not measured here.

Opt-in: needs pyannote.audio (torch 2.9.1 venv); run with `scripts/test-pyannote`.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyannote.audio", reason="opt-in job: run scripts/test-pyannote")

import lightning  # noqa: E402  (after the skip: only in the pyannote venv)
import torch  # noqa: E402  (after the skip: only importable in the pyannote venv with torch 2.9.1)
import yaml  # noqa: E402
from pyannote.audio.core.task import Problem, Resolution, Specifications  # noqa: E402
from pyannote.audio.models.embedding import WeSpeakerResNet34  # noqa: E402
from pyannote.audio.models.segmentation import PyanNet  # noqa: E402

from models.audio import decode_audio  # noqa: E402
from models.speakers import SpeakerAnalyzer  # noqa: E402
from models.speakers.config import DiarizationConfig  # noqa: E402
from models.speakers.diarization import PyannoteDiarizer, SpeakerBounds  # noqa: E402
from models.speakers.embedder import SAMPLE_RATE  # noqa: E402
from models.speakers.track import EmbeddingTrack  # noqa: E402
from models.transcript import Transcript, Word  # noqa: E402
from tests.helpers import DATA  # noqa: E402

pytestmark = pytest.mark.slow  # real pyannote pipeline (random weights) on real audio
# Shapes of pyannote's published diarization models (segmentation-3.0 / wespeaker ResNet34 / VBx PLDA).
SEGMENTATION_SECONDS = 10.0
LOCAL_SPEAKERS = 3
POWERSET_MAX = 2
EMBEDDING_DIM = 256
LDA_DIM = 128
SEED = 0
# Published pipelines slide by 10 % of a chunk; half a chunk keeps this CPU test short (plumbing is the same).
SEGMENTATION_STEP = 0.5


def _save_checkpoint(model: torch.nn.Module, folder: Path) -> None:
    """What a Lightning trainer would write, minus the trainer: weights, init args, pyannote's metadata.

    Saved as `<folder>/pytorch_model.bin`, the layout of pyannote's published pipeline repositories.
    """
    folder.mkdir()
    checkpoint = {
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
        "pytorch-lightning_version": lightning.__version__,  # Lightning's loader migrates by this key
    }
    model.on_save_checkpoint(checkpoint)  # adds the "pyannote.audio" section Model.from_pretrained reads
    torch.save(checkpoint, folder / "pytorch_model.bin")


def _random_plda(folder: Path, rng: np.random.Generator) -> None:
    """xvec_transform.npz + plda.npz with the array names and shapes VBx clustering loads."""
    folder.mkdir()
    lda = rng.standard_normal((EMBEDDING_DIM, LDA_DIM))
    np.savez(folder / "xvec_transform.npz", mean1=rng.standard_normal(EMBEDDING_DIM) * 0.1, mean2=np.zeros(LDA_DIM), lda=lda)
    tr = np.linalg.qr(rng.standard_normal((LDA_DIM, LDA_DIM)))[0]  # orthonormal: W and B stay invertible
    np.savez(folder / "plda.npz", mu=np.zeros(LDA_DIM), tr=tr, psi=rng.uniform(0.5, 5.0, LDA_DIM))


@pytest.fixture(scope="module")
def pipeline_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local pyannote pipeline directory with random weights; returns its config.yaml.

    `$model/<name>` in the config means the subfolder <name> next to config.yaml (pyannote's convention).
    """
    folder = tmp_path_factory.mktemp("random_pipeline")
    torch.manual_seed(SEED)
    segmentation = PyanNet()
    segmentation.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=SEGMENTATION_SECONDS,
        classes=[f"speaker#{i + 1}" for i in range(LOCAL_SPEAKERS)],
        powerset_max_classes=POWERSET_MAX,
        permutation_invariant=True,
    )
    segmentation.build()  # the powerset classifier head sized from the specifications
    _save_checkpoint(segmentation, folder / "segmentation")
    # Path names matter: pyannote routes an embedding whose name contains "wespeaker" to its ONNX loader.
    embedding = WeSpeakerResNet34()
    assert embedding.dimension == EMBEDDING_DIM
    embedding.specifications = Specifications(
        problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=SEGMENTATION_SECONDS
    )
    _save_checkpoint(embedding, folder / "embedding")
    _random_plda(folder / "plda", np.random.default_rng(SEED))
    config = {
        "pipeline": {
            "name": "pyannote.audio.pipelines.SpeakerDiarization",
            "params": {
                "segmentation": "$model/segmentation",
                "embedding": "$model/embedding",
                "plda": "$model/plda",
                "clustering": "VBxClustering",
                "segmentation_step": SEGMENTATION_STEP,
                "embedding_exclude_overlap": True,
                "segmentation_batch_size": 8,
                "embedding_batch_size": 8,
            },
        },
        "params": {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"threshold": 0.6, "Fa": 0.07, "Fb": 0.8},
        },
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _clip() -> tuple[dict, np.ndarray]:
    row = json.loads((DATA / "diarization.jsonl").read_text().splitlines()[0])
    return row, decode_audio(str(DATA / row["audio"]))


def _words(rttm: Path, step: float = 0.4) -> list[Word]:
    """Word-sized tokens laid over the reference speech turns (real timings, no speakers)."""
    turns = [(float(p[3]), float(p[3]) + float(p[4])) for p in (line.split() for line in rttm.read_text().splitlines())]
    starts = sorted({round(t, 2) for s, e in turns for t in np.arange(s, e - step / 2, step)})
    return [Word(word=f"w{i}.", start=t, end=t + step * 0.9, confidence=1.0) for i, t in enumerate(starts)]


def _write_wav(audio: np.ndarray, path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return path


def test_diarizer_loads_local_pipeline_and_returns_turns_in_range(pipeline_config: Path, tmp_path: Path) -> None:
    """PLUMBING ONLY (random weights): turns come back inside the clip with speakers numbered from 0."""
    row, audio = _clip()
    duration = audio.size / SAMPLE_RATE
    diarizer = PyannoteDiarizer(DiarizationConfig(backend="pyannote", pyannote_pipeline=str(pipeline_config)))
    track = EmbeddingTrack(duration=duration)
    result = diarizer.diarize(_write_wav(audio, tmp_path / "clip.wav"), track, SpeakerBounds(num=row["num_speakers"]))

    assert result.segments, "the pipeline produced no speaker turn at all"
    for segment in result.segments:
        assert 0.0 <= segment.start < segment.end <= duration
        assert isinstance(segment.speaker, int)
    speakers = sorted({s.speaker for s in result.segments})
    assert speakers == list(range(len(speakers))) and len(speakers) <= row["num_speakers"]
    assert result.posteriors.probs.shape[1] == len(speakers)
    assert result.posteriors.probs.shape[0] * result.posteriors.frame >= duration


def test_speaker_analyzer_job_with_pyannote_backend(pipeline_config: Path) -> None:
    """PLUMBING ONLY (random weights): the whole speaker job on the pyannote backend labels every word."""
    row, audio = _clip()
    analyzer = SpeakerAnalyzer.from_stages(
        {"diarization": {"backend": "pyannote", "pyannote_pipeline": str(pipeline_config)}}
    )
    words = _words(DATA / row["rttm"])
    transcript = Transcript(text=" ".join(w.word for w in words), words=words, language="en")
    job = analyzer.start(diarize=True, gender=True, emotion=False, max_speakers=row["num_speakers"])
    half = audio.size // 2  # two chunks, as the pre-recorded pipeline feeds long files to the spool
    job.add_chunk(audio[:half], 0.0)
    job.add_chunk(audio[half:], half / SAMPLE_RATE)
    job.finish(transcript, pause_seconds=0.8)

    speakers = [w.speaker for w in transcript.words]
    assert all(isinstance(s, int) for s in speakers)
    assert list(dict.fromkeys(speakers)) == list(range(len(set(speakers)))), "numbered by first appearance"
    assert all(0.0 <= (w.speaker_confidence or 0.0) <= 1.0 for w in transcript.words)
    assert transcript.utterances and all(isinstance(u.speaker, int) for u in transcript.utterances)
    assert transcript.gender in ("male", "female")
