"""Speaker embeddings over short windows: Resemblyzer's d-vector LSTM (weights ship in the package)."""

from __future__ import annotations

import numpy as np

from models.audio import SAMPLE_RATE

# Resemblyzer's mel front end: 25 ms windows, 10 ms hop, 40 mel bands (power, not log).
MEL_HOP = 160
MEL_FFT = 400
MEL_BANDS = 40
EMBEDDING_BATCH = 64


class ResemblyzerEmbedder:
    """Loaded once; `embed` is safe to call from several threads (inference-mode forward keeps no state).

    Note: `threads` sets torch's process-wide intra-op thread count at start-up.
    """

    dim = 256

    def __init__(self, threads: int = 2) -> None:
        import torch
        from resemblyzer import VoiceEncoder

        self._torch = torch
        if threads > 0 and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        self._encoder = VoiceEncoder("cpu", verbose=False)
        self._encoder.eval()

    def mel(self, audio: np.ndarray) -> np.ndarray:
        """(frames, 40) power mel spectrogram; frame i is centred on sample i * 160."""
        import librosa

        spec = librosa.feature.melspectrogram(
            y=audio, sr=SAMPLE_RATE, n_fft=MEL_FFT, hop_length=MEL_HOP, n_mels=MEL_BANDS
        )
        return spec.astype(np.float32).T

    def embed(self, mel: np.ndarray, spans: list[tuple[int, int]], gains: np.ndarray) -> np.ndarray:
        """L2-normalised embeddings for mel frame spans [a, b); `gains` scale each span's power."""
        if not spans:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(spans), self.dim), dtype=np.float32)
        # Batch spans of equal length together: the LSTM needs rectangular input.
        by_length: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(spans):
            by_length.setdefault(b - a, []).append(i)
        torch = self._torch
        for idx in by_length.values():
            for k in range(0, len(idx), EMBEDDING_BATCH):
                batch = idx[k : k + EMBEDDING_BATCH]
                mels = np.stack([mel[spans[i][0] : spans[i][1]] * gains[i] for i in batch]).astype(np.float32)
                with torch.inference_mode():
                    out[batch] = self._encoder(torch.from_numpy(mels)).numpy()
        return out


def load_embedder(backend: str, threads: int) -> ResemblyzerEmbedder:
    if backend != "resemblyzer":
        raise ValueError(f"unknown embedding backend {backend!r}; available: resemblyzer")
    try:
        return ResemblyzerEmbedder(threads)
    except ImportError as exc:
        raise RuntimeError(
            "speaker embeddings need `resemblyzer` (pip install --no-deps resemblyzer librosa webrtcvad-wheels)"
        ) from exc
