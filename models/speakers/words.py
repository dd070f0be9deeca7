"""Snap speaker turns to ASR word boundaries: each word takes the speaker its span's posteriors favour."""

from __future__ import annotations

import numpy as np

from models.speakers.resegment import FramePosteriors
from models.transcript import Word


def label_words(words: list[Word], post: FramePosteriors) -> dict[int, int]:
    """Set `speaker` (numbered by first appearance) and `speaker_confidence` on each word in place.

    Returns the raw posterior column → public speaker number mapping, so other stages can name
    the same speakers.
    """
    order: dict[int, int] = {}
    for word in words:
        p = post.span(word.start, word.end)
        total = float(p.sum())
        raw = int(np.argmax(p)) if total > 0 else 0
        word.speaker = order.setdefault(raw, len(order))
        word.speaker_confidence = round(float(p[raw] / total), 3) if total > 0 else 0.0
    return order
