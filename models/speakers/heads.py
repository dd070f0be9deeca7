"""Small linear classifier heads on pooled voice embeddings + prosody, stored as kilobyte .npz files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.speakers.track import EmbeddingTrack

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def pooled_features(vectors: np.ndarray, prosody: np.ndarray) -> np.ndarray:
    """One feature row for a set of windows: normalised mean embedding, then mean/std of the prosody."""
    if len(vectors) == 0:
        raise ValueError("no windows to pool")
    mean = vectors.mean(axis=0)
    mean = mean / (np.linalg.norm(mean) + 1e-9)
    return np.concatenate([mean, prosody.mean(axis=0), prosody.std(axis=0)]).astype(np.float32)


def track_features(track: EmbeddingTrack, index: np.ndarray) -> np.ndarray | None:
    if index.size == 0:
        return None
    return pooled_features(track.vectors[index], track.prosody[index])


@dataclass
class LinearHead:
    """Standardise → affine → softmax. `labels` name the outputs in order."""

    labels: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weight: np.ndarray  # (n_labels, n_features)
    bias: np.ndarray  # (n_labels,)

    def proba(self, features: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(features) - self.mean) / self.scale
        logits = z @ self.weight.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path, **metadata: str) -> None:
        np.savez_compressed(
            path,
            labels=np.array(self.labels),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            weight=self.weight.astype(np.float32),
            bias=self.bias.astype(np.float32),
            **{f"meta_{k}": np.array(v) for k, v in metadata.items()},
        )

    @classmethod
    def load(cls, name_or_path: str) -> LinearHead:
        path = Path(name_or_path)
        if not path.is_absolute() and not path.exists():
            path = WEIGHTS_DIR / name_or_path
        if not path.exists():
            raise FileNotFoundError(f"classifier weights not found: {path}")
        with np.load(path) as data:
            return cls(
                labels=tuple(str(x) for x in data["labels"]),
                mean=data["mean"],
                scale=data["scale"],
                weight=data["weight"],
                bias=data["bias"],
            )
