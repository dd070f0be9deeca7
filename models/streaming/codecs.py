"""Incremental audio-in decoding for the live socket (§7): any frame size in, 16 kHz mono float32 out."""

from __future__ import annotations

import struct
from typing import Protocol

import av
import numpy as np

TARGET_RATE = 16000
ENCODINGS = ("linear16", "linear32", "alaw", "mulaw", "opus", "ogg_opus")
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
# libopus always decodes at 48 kHz here (PyAV ignores a requested output rate).
OPUS_RATE = 48000


class CodecError(ValueError):
    """Bytes that cannot be decoded in the declared encoding."""


def _g711_table(kind: str) -> np.ndarray:
    """The 256 linear values of G.711 μ-law or A-law, as float32 in [-1, 1]."""
    codes = np.arange(256, dtype=np.int32)
    if kind == "mulaw":
        u = ~codes & 0xFF
        exponent = (u >> 4) & 0x07
        mantissa = u & 0x0F
        magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
        values = np.where(u & 0x80, -magnitude, magnitude)
    else:
        a = codes ^ 0x55
        exponent = (a >> 4) & 0x07
        mantissa = a & 0x0F
        magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << (exponent - 1))
        values = np.where(a & 0x80, magnitude, -magnitude)
    return (values / 32768.0).astype(np.float32)


_TABLES = {"mulaw": _g711_table("mulaw"), "alaw": _g711_table("alaw")}


class _Resampler:
    """Stateful resampler to 16 kHz (filter history carries across frames, so no clicks at joins)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._av = None if rate == TARGET_RATE else av.AudioResampler(format="flt", layout="mono", rate=TARGET_RATE)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        if self._av is None or samples.size == 0:
            return samples
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.rate
        out = [f.to_ndarray().reshape(-1) for f in self._av.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def _frame_to_float(frame: av.AudioFrame) -> np.ndarray:
    data = frame.to_ndarray()
    if data.ndim == 2 and data.shape[0] > 1 and frame.format.is_planar:
        data = data.mean(axis=0)
    data = data.reshape(-1)
    if data.dtype == np.int16:
        return data.astype(np.float32) / 32768.0
    if data.dtype == np.int32:
        return data.astype(np.float32) / 2147483648.0
    return data.astype(np.float32)


class AudioDecoder(Protocol):
    def decode(self, data: bytes) -> np.ndarray: ...


class PcmDecoder:
    """linear16 / linear32 / mulaw / alaw: fixed-width samples, odd byte counts carried to the next frame."""

    def __init__(self, encoding: str, rate: int) -> None:
        self.encoding = encoding
        self.width = {"linear16": 2, "linear32": 4}.get(encoding, 1)
        self._remainder = b""
        self._resample = _Resampler(rate)

    def decode(self, data: bytes) -> np.ndarray:
        data = self._remainder + data
        usable = len(data) - len(data) % self.width
        self._remainder = data[usable:]
        raw = data[:usable]
        if self.encoding == "linear16":
            samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        elif self.encoding == "linear32":
            samples = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
        else:
            samples = _TABLES[self.encoding][np.frombuffer(raw, dtype=np.uint8)]
        return self._resample(samples)


class OpusDecoder:
    """Raw Opus: each binary frame is one Opus packet (as RTP payloads and LiveKit's encoder emit)."""

    def __init__(self) -> None:
        self._codec = av.CodecContext.create("libopus", "r")
        self._codec.sample_rate = OPUS_RATE
        self._codec.layout = "mono"
        self._resample = _Resampler(OPUS_RATE)

    def decode_packet(self, packet: bytes) -> np.ndarray:
        if not packet:
            return np.zeros(0, np.float32)
        try:
            frames = self._codec.decode(av.Packet(packet))
        except av.error.FFmpegError as exc:
            raise CodecError(f"invalid opus packet: {exc}") from None
        pieces = [_frame_to_float(f) for f in frames]
        return self._resample(np.concatenate(pieces)) if pieces else np.zeros(0, np.float32)

    def decode(self, data: bytes) -> np.ndarray:
        return self.decode_packet(data)


class OggOpusDecoder:
    """Ogg-encapsulated Opus split across arbitrary frames: pages are reassembled, headers skipped."""

    _HEADER = struct.Struct("<4sBBqIIIB")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._partial_packet = bytearray()
        self._opus = OpusDecoder()

    def _packets(self) -> list[bytes]:
        packets: list[bytes] = []
        while len(self._buffer) >= self._HEADER.size:
            if self._buffer[:4] != b"OggS":
                start = self._buffer.find(b"OggS")
                if start < 0:  # resynchronise: keep a tail that may hold a split capture pattern
                    del self._buffer[:-3]
                    break
                del self._buffer[:start]
                continue
            fields = self._HEADER.unpack_from(self._buffer)
            n_segments = fields[7]
            table_end = self._HEADER.size + n_segments
            if len(self._buffer) < table_end:
                break
            lacing = self._buffer[self._HEADER.size : table_end]
            page_end = table_end + sum(lacing)
            if len(self._buffer) < page_end:
                break
            pos = table_end
            for size in lacing:
                self._partial_packet += self._buffer[pos : pos + size]
                pos += size
                if size < 255:  # a lacing value below 255 closes the packet
                    packets.append(bytes(self._partial_packet))
                    self._partial_packet.clear()
            del self._buffer[:page_end]
        return packets

    def decode(self, data: bytes) -> np.ndarray:
        self._buffer += data
        out: list[np.ndarray] = []
        for packet in self._packets():
            if packet.startswith((b"OpusHead", b"OpusTags")):
                continue
            out.append(self._opus.decode_packet(packet))
        return np.concatenate(out) if out else np.zeros(0, np.float32)


def make_decoder(encoding: str, sample_rate: int) -> AudioDecoder:
    """A fresh stateful decoder for one session; `sample_rate` is ignored for Opus (self-describing)."""
    if encoding not in ENCODINGS:
        raise CodecError(f"unsupported encoding {encoding!r}")
    if encoding == "opus":
        return OpusDecoder()
    if encoding == "ogg_opus":
        return OggOpusDecoder()
    if sample_rate not in SAMPLE_RATES:
        raise CodecError(f"unsupported sample rate {sample_rate}")
    return PcmDecoder(encoding, sample_rate)
