"""Audio front end: any container PyAV/FFmpeg decodes, resampled to 16 kHz mono float32, in blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import av
import numpy as np

SAMPLE_RATE = 16000


class AudioDecodeError(ValueError):
    """The input is not audio we can decode; the message says why, for the caller."""


def iter_pcm_blocks(source: BinaryIO | str, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Yield float32 mono 16 kHz blocks of about `block_seconds` each, decoding lazily.

    Raises AudioDecodeError when nothing decodable is found. A stream that breaks after some
    audio was decoded (a truncated upload) ends early instead of failing the whole request.
    """
    block = int(block_seconds * SAMPLE_RATE)
    try:
        container = av.open(source, mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioDecodeError(
            f"Could not decode audio: the data is not a supported audio container ({exc.__class__.__name__})."
        ) from exc
    with container:
        if not container.streams.audio:
            raise AudioDecodeError("Could not decode audio: the file has no audio stream.")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_len = 0
        decoded_any = False
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    pcm = out.to_ndarray().reshape(-1)
                    pending.append(pcm)
                    pending_len += pcm.size
                while pending_len >= block:
                    joined = np.concatenate(pending)
                    decoded_any = True
                    yield joined[:block].astype(np.float32) / 32768.0
                    rest = joined[block:]
                    pending, pending_len = ([rest] if rest.size else []), rest.size
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError) as exc:
            if not decoded_any and not pending:
                raise AudioDecodeError(
                    f"Could not decode audio: {exc.__class__.__name__} while reading the stream."
                ) from exc
        if pending:
            joined = np.concatenate(pending)
            if joined.size:
                decoded_any = True
                yield joined.astype(np.float32) / 32768.0
        if not decoded_any:
            raise AudioDecodeError("Audio contains no samples: the file decodes to zero-length audio.")


def decode_audio(source: BinaryIO | str) -> np.ndarray:
    """The whole input as one float32 array (for short clips and tests)."""
    return np.concatenate(list(iter_pcm_blocks(source)))


def _quietest_point(audio: np.ndarray, lo: int, hi: int, window: int = 1600) -> int:
    """Sample index in [lo, hi) at the centre of the lowest-energy window of `window` samples."""
    region = audio[lo:hi]
    if region.size <= window:
        return hi
    energy = np.convolve(region.astype(np.float64) ** 2, np.ones(window), mode="valid")
    return lo + int(np.argmin(energy)) + window // 2


def iter_chunks(
    blocks: Iterator[np.ndarray], chunk_seconds: float, search_seconds: float
) -> Iterator[tuple[float, np.ndarray]]:
    """Regroup blocks into (offset_seconds, audio) chunks of at most ~chunk_seconds.

    Each cut is placed at the quietest point of the last `search_seconds` before the limit so a
    word is rarely split; memory stays at about one chunk whatever the input length.
    """
    limit = int(chunk_seconds * SAMPLE_RATE)
    search = int(min(search_seconds, chunk_seconds / 2) * SAMPLE_RATE)
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0
    for block in blocks:
        buffer = np.concatenate([buffer, block]) if buffer.size else block
        while buffer.size > limit:
            cut = _quietest_point(buffer, limit - search, limit)
            yield offset / SAMPLE_RATE, buffer[:cut]
            offset += cut
            buffer = buffer[cut:]
    if buffer.size:
        yield offset / SAMPLE_RATE, buffer
