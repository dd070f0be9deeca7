"""Audio front end: any container PyAV/FFmpeg decodes, resampled to 16 kHz mono float32, in blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

from models.streaming.codecs import PcmDecoder

SAMPLE_RATE = 16000
# Sample formats whose values can be NaN or infinite (integer PCM cannot).
FLOAT_FORMATS = frozenset({"flt", "fltp", "dbl", "dblp"})
PCM_ENCODINGS = ("linear16", "linear32", "mulaw", "alaw")
# Unambiguous container signatures (first bytes; `ftyp` sits at offset 4). A body declared as headerless
# PCM that starts with one of these is decoded as the container it is (LiveKit sends WAV with encoding=linear16).
_CONTAINER_MAGIC = (b"RIFF", b"RF64", b"fLaC", b"OggS", b"ID3", b"\x1aE\xdf\xa3", b"FORM", b"#!AMR", b"caff")


class AudioDecodeError(ValueError):
    """The input is not audio we can decode; the message says why, for the caller."""


class AudioTooLong(AudioDecodeError):
    """The input decodes (or declares it decodes) to more audio than `DecodeLimits.max_seconds`."""


@dataclass(frozen=True)
class RawPcm:
    """How to read a body without a container: mono little-endian PCM or G.711 at `sample_rate`."""

    encoding: str
    sample_rate: int


def looks_like_container(head: bytes) -> bool:
    return head.startswith(_CONTAINER_MAGIC) or head[4:8] == b"ftyp"


@dataclass(frozen=True)
class DecodeLimits:
    """Bounds on what one input may decode to (`limits:` in the YAML): a few KB must not become hours."""

    max_seconds: float = 4 * 3600.0
    # Below this a header is nonsense for speech (a 66 KB WAV at 1 Hz "lasts" 9 hours).
    min_sample_rate: int = 4000

    def too_long(self, seconds: float, declared: bool) -> AudioTooLong:
        how = "declares" if declared else "decodes to more than"
        return AudioTooLong(
            f"Audio too long: the input {how} {_length(seconds)} of audio; this server accepts at most "
            f"{_length(self.max_seconds)} (limits.max_audio_seconds)."
        )

    def check_rate(self, rate: int | None) -> None:
        if rate is not None and rate < self.min_sample_rate:
            raise AudioDecodeError(
                f"Unsupported sample rate: the audio declares {rate} Hz; at least {self.min_sample_rate} Hz "
                "is needed (limits.min_sample_rate)."
            )


def _length(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def _open(source: BinaryIO | str, limits: DecodeLimits) -> tuple[av.container.InputContainer, av.AudioStream]:
    """Open the container and refuse, before decoding anything, what its header already gives away."""
    try:
        container = av.open(source, mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioDecodeError(
            f"Could not decode audio: the data is not a supported audio container ({exc.__class__.__name__})."
        ) from exc
    try:
        if not container.streams.audio:
            raise AudioDecodeError("Could not decode audio: the file has no audio stream.")
        stream = container.streams.audio[0]
        try:
            rate = stream.sample_rate
        except AttributeError:  # PyAV found the stream but cannot open its codec (bits=0, unknown format tag …)
            raise AudioDecodeError("Could not decode audio: the stream's codec header is invalid.") from None
        limits.check_rate(rate)
        # FFmpeg bounds a PCM stream's declared length by the file size, so this is not a header's lie.
        declared = (container.duration or 0) / av.time_base
        if declared > limits.max_seconds:
            raise limits.too_long(declared, declared=True)
    except BaseException:
        container.close()
        raise
    return container, stream


def _checked(frame: av.AudioFrame, limits: DecodeLimits) -> av.AudioFrame:
    """A decoded frame, refused when its rate is below the floor."""
    limits.check_rate(frame.sample_rate)
    frame.pts = None
    return frame


def _finite(frame: av.AudioFrame) -> av.AudioFrame:
    """`frame` (a batch of decoded frames), refused when its float samples are not finite."""
    if frame.format.name in FLOAT_FORMATS and not np.isfinite(frame.to_ndarray()).all():
        raise AudioDecodeError("Invalid audio: the float samples contain NaN or infinite values.")
    return frame


def _iter_raw(source: BinaryIO, raw: RawPcm, block_seconds: float, limits: DecodeLimits) -> Iterator[np.ndarray]:
    """Headerless PCM in blocks; the length is known from the byte count, so the cap is checked first."""
    limits.check_rate(raw.sample_rate)
    decoder = PcmDecoder(raw.encoding, raw.sample_rate)
    start = source.tell()
    size = source.seek(0, 2) - start
    source.seek(start)
    seconds = size / decoder.width / raw.sample_rate
    if seconds > limits.max_seconds:
        raise limits.too_long(seconds, declared=True)
    step = max(int(block_seconds * raw.sample_rate) * decoder.width, decoder.width)
    decoded = 0
    while piece := source.read(step):
        samples = decoder.decode(piece)
        decoded += samples.size
        if samples.size:
            yield samples
    if decoded == 0:
        raise AudioDecodeError("Audio contains no samples: the body is shorter than one PCM sample.")


def iter_pcm_blocks(
    source: BinaryIO | str,
    block_seconds: float = 30.0,
    limits: DecodeLimits | None = None,
    raw: RawPcm | None = None,
) -> Iterator[np.ndarray]:
    """Yield float32 mono 16 kHz blocks of about `block_seconds` each, decoding lazily.

    `raw`: the caller declared headerless PCM; it is used unless the bytes start with a known
    container header. Raises AudioDecodeError when nothing decodable is found, or the input breaks
    `limits` (AudioTooLong past the duration cap, counted on the decoded output). A stream that
    breaks after some audio was decoded (a truncated upload) ends early instead of failing.
    """
    limits = limits or DecodeLimits()
    if raw is not None and not isinstance(source, str):
        start = source.tell()
        head = source.read(12)
        source.seek(start)
        if not looks_like_container(head):
            yield from _iter_raw(source, raw, block_seconds, limits)
            return
    block = int(block_seconds * SAMPLE_RATE)
    max_samples = int(limits.max_seconds * SAMPLE_RATE)
    container, stream = _open(source, limits)
    with container:
        pending: list[np.ndarray] = []
        pending_len = 0
        decoded = 0
        for pcm in _resampled(container, stream, limits):
            pending.append(pcm)
            pending_len += pcm.size
            decoded += pcm.size
            if decoded > max_samples:
                raise limits.too_long(limits.max_seconds, declared=False)
            while pending_len >= block:
                joined = np.concatenate(pending)
                yield joined[:block].astype(np.float32) / 32768.0
                rest = joined[block:]
                pending, pending_len = ([rest] if rest.size else []), rest.size
        if pending_len:
            yield np.concatenate(pending).astype(np.float32) / 32768.0
        elif decoded == 0:
            raise AudioDecodeError("Audio contains no samples: the file decodes to zero-length audio.")


def _resampled(container: av.container.InputContainer, stream: av.AudioStream, limits: DecodeLimits) -> Iterator[np.ndarray]:
    """16 kHz mono int16 arrays of the decoded stream; a stream that breaks after some audio ends early.

    Decoded frames are tiny (20 ms of Opus), so they are gathered in a FIFO and resampled (and checked for
    NaN) about a second at a time: a fraction of the per-frame cost (2 h of Opus: ~60 s → ~8 s on 2 cores).
    """
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    fifo = av.AudioFifo()
    produced = 0
    broken: Exception | None = None
    try:
        for frame in container.decode(stream):
            fifo.write(_checked(frame, limits))
            if fifo.samples >= frame.sample_rate:
                for out in resampler.resample(_finite(fifo.read())):
                    pcm = out.to_ndarray().reshape(-1)
                    produced += pcm.size
                    yield pcm
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError) as exc:
        broken = exc
    try:  # what the FIFO still holds (also after a break: a truncated upload keeps its audio)
        rest = fifo.read()
        for out in [*(resampler.resample(_finite(rest)) if rest is not None else []), *resampler.resample(None)]:
            pcm = out.to_ndarray().reshape(-1)
            produced += pcm.size
            yield pcm
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError) as exc:  # e.g. a frame whose rate/layout the resampler cannot set up
        broken = broken or exc
    if produced == 0 and broken is not None:
        raise AudioDecodeError(f"Could not decode audio: {broken.__class__.__name__} while reading the stream.") from broken


def decode_audio(source: BinaryIO | str, limits: DecodeLimits | None = None) -> np.ndarray:
    """The whole input as one float32 array (for short clips and tests)."""
    return np.concatenate(list(iter_pcm_blocks(source, limits=limits)))


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
