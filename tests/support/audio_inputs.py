"""Hand-built audio inputs for the decode-limit and abuse tests: WAV headers that say whatever a test needs."""

from __future__ import annotations

import io
import struct


def wav_bytes(samples: bytes, rate: int, *, bits: int = 16, float_pcm: bool = False, channels: int = 1) -> bytes:
    """A canonical RIFF/WAVE file around `samples`, with whatever header values the test wants."""
    block_align = (channels * bits // 8) & 0xFFFF
    fmt = struct.pack(
        "<HHIIHH", 3 if float_pcm else 1, channels, rate, (rate * block_align) & 0xFFFFFFFF, block_align, bits
    )
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


class Pipe(io.RawIOBase):
    """A non-seekable reader: FFmpeg cannot learn the length, so only the decoded count can stop it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
