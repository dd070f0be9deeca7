"""Train the embedded gender head on the LibriSpeech clips in shared/data/gender/ and save its weights.

Usage: python scripts/train_gender.py. Writes models/speakers/weights/gender.npz.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.speakers.analyzer import GENDER_LABELS  # noqa: E402
from models.speakers.config import SpeakerStagesConfig  # noqa: E402
from models.speakers.embedder import ResemblyzerEmbedder  # noqa: E402
from models.speakers.heads import WEIGHTS_DIR  # noqa: E402
from models.speakers.training import clip_features, fit_mean_difference_head, load_clip, read_manifest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR / "gender.npz")
    args = parser.parse_args()
    config = SpeakerStagesConfig()
    embedder = ResemblyzerEmbedder(config.embedding.threads)
    rows = [r for r in read_manifest("gender.jsonl") if r["audio"].startswith("gender/librispeech_")]
    features = np.stack([clip_features(load_clip(r["audio"]), embedder, config) for r in rows])
    labels = [r["gender"] for r in rows]
    head = fit_mean_difference_head(features, labels, GENDER_LABELS, ResemblyzerEmbedder.dim)
    train_acc = float(
        np.mean([GENDER_LABELS[i] == y for i, y in zip(head.proba(features).argmax(1), labels, strict=True)])
    )
    head.save(
        args.out,
        trained_on=f"{len(rows)} LibriSpeech test-other clips, {len({r['speaker'] for r in rows})} speakers (CC BY 4.0)",
        features="resemblyzer mean window embedding (prosody columns unused)",
        method="difference of class means (LDA with full shrinkage)",
    )
    print(f"gender head: {len(rows)} clips, train accuracy {train_acc:.3f} → {args.out}")


if __name__ == "__main__":
    main()
