"""Train the embedded emotion head on all RAVDESS clips in shared/data/emotion/ and save its weights.

RAVDESS is CC BY-NC-SA 4.0 (non-commercial): the weights inherit that licence (see
models/speakers/weights/README.md). Held-out-actor accuracy comes from scripts/eval_emotion.py.
Usage: python scripts/train_emotion.py [--c 0.05]. Writes models/speakers/weights/emotion.npz.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.speakers.config import SpeakerStagesConfig  # noqa: E402
from models.speakers.embedder import ResemblyzerEmbedder  # noqa: E402
from models.speakers.heads import WEIGHTS_DIR  # noqa: E402
from models.speakers.training import EMOTION_CLASSES, emotion_dataset, fit_head  # noqa: E402

DEFAULT_C = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 regularisation strength")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR / "emotion.npz")
    args = parser.parse_args()
    config = SpeakerStagesConfig()
    embedder = ResemblyzerEmbedder(config.embedding.threads)
    features, labels, actors, _ = emotion_dataset(embedder, config)
    head = fit_head(features, labels, EMOTION_CLASSES, args.c)
    head.save(
        args.out,
        trained_on=f"{len(labels)} RAVDESS speech clips, {len(set(actors.tolist()))} actors",
        license="CC BY-NC-SA 4.0 (RAVDESS, Livingstone & Russo 2018): non-commercial use only",
        classes="happiness sadness disgust fear anger + auxiliary neutral (neutral+calm); surprised excluded",
        regularisation=str(args.c),
    )
    print(f"emotion head: {len(labels)} clips → {args.out}")


if __name__ == "__main__":
    main()
