"""Cluster window embeddings into speakers: spectral clustering with an eigengap speaker count, or AHC."""

from __future__ import annotations

import numpy as np

from models.speakers.config import DiarizationConfig


def resolve_bounds(
    n_windows: int, config: DiarizationConfig, num: int | None, lo: int | None, hi: int | None
) -> tuple[int, int]:
    """(min, max) speaker count allowed for this request, clipped to what the windows can support."""
    if num is not None:
        lo = hi = num
    low = max(1, lo or 1)
    high = hi or config.max_speakers
    high = max(1, min(high, n_windows))
    return min(low, high), high


def cluster(vectors: np.ndarray, config: DiarizationConfig, min_k: int, max_k: int) -> np.ndarray:
    """Integer label per window (0..k-1, arbitrary order)."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1 or max_k == 1:
        return np.zeros(n, dtype=int)
    if config.clustering == "ahc":
        return _ahc(vectors, config.ahc_threshold, min_k, max_k)
    if config.clustering != "spectral":
        raise ValueError(f"unknown clustering {config.clustering!r}; available: spectral, ahc")
    return _spectral(vectors, config, min_k, max_k)


def _spectral(vectors: np.ndarray, config: DiarizationConfig, min_k: int, max_k: int) -> np.ndarray:
    from scipy.linalg import eigh
    from sklearn.cluster import KMeans

    sim = np.clip(vectors @ vectors.T, -1.0, 1.0)
    n = len(sim)
    off = sim[~np.eye(n, dtype=bool)]
    # A file where nearly every pair of windows sounds alike is one speaker; eigengaps cannot say "1".
    if min_k <= 1 and np.percentile(off, 10) >= config.single_speaker_threshold:
        return np.zeros(n, dtype=int)
    top = min(max_k, n - 1)
    fractions = config.pruning_search or [config.pruning_fraction]
    best: tuple[float, int, np.ndarray] | None = None
    for fraction in fractions:
        values, vecs = eigh(_laplacian(_prune(sim, fraction, config.max_neighbors), config.laplacian))
        gaps = np.diff(values[: top + 1])
        k = int(np.argmax(gaps[min_k - 1 : top]) + min_k) if top >= min_k else min_k
        # NME-SC: prefer the pruning whose eigengap is largest relative to the spectrum (auto-tuned p).
        ratio = fraction / (gaps[k - 1] / (values[-1] + 1e-9) + 1e-9) if top >= min_k else 0.0
        if best is None or ratio < best[0]:
            best = (ratio, k, vecs)
    assert best is not None
    _, k, vecs = best
    if min_k <= 1 and k == 1:
        return np.zeros(n, dtype=int)
    k = max(min_k, min(k, max_k))
    embedding = vecs[:, :k]
    embedding = embedding / (np.linalg.norm(embedding, axis=1, keepdims=True) + 1e-9)
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(embedding)


def _laplacian(affinity: np.ndarray, kind: str) -> np.ndarray:
    degree = affinity.sum(axis=1)
    laplacian = np.diag(degree) - affinity
    if kind == "symmetric":
        inv = 1.0 / np.sqrt(np.maximum(degree, 1e-9))
        laplacian = laplacian * inv[:, None] * inv[None, :]
    return laplacian


def _prune(sim: np.ndarray, fraction: float, max_neighbors: int) -> np.ndarray:
    """Keep each row's strongest `fraction` of affinities (at most `max_neighbors`), symmetrise.

    Removes weak cross-speaker links; the cap matters on long files, where one speaker owns a
    small share of all windows and a fixed fraction would link every row to other speakers.
    """
    n = len(sim)
    keep = max(2, min(int(round(fraction * n)), max_neighbors))
    affinity = np.zeros_like(sim)
    order = np.argsort(-sim, axis=1)[:, :keep]
    rows = np.repeat(np.arange(n), keep)
    affinity[rows, order.ravel()] = np.maximum(sim[rows, order.ravel()], 0.0)
    affinity = 0.5 * (affinity + affinity.T)
    np.fill_diagonal(affinity, 0.0)
    return affinity


def _ahc(vectors: np.ndarray, threshold: float, min_k: int, max_k: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors, method="average", metric="cosine")
    labels = fcluster(tree, t=threshold, criterion="distance")
    k = len(set(labels))
    if k < min_k or k > max_k:
        labels = fcluster(tree, t=min(max(k, min_k), max_k), criterion="maxclust")
    return labels - 1
