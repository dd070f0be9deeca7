"""The malformed-audio corpus, generated (never committed): every container broken in the ways real uploads break.

For each of wav, flac, mp3, ogg/opus, m4a, webm and raw PCM, from two clean encodings (16 kHz and 8 kHz):
truncations at 10 points, bit flips, zero-length, header-only, wrong content type, random bytes behind the
format's magic; plus WAV headers with absurd sizes / rates / channel counts / sample formats, NaN and Inf
float PCM, and decompression bombs (tiny files that decode to hours of silence). Deterministic (fixed seeds);
encoded bombs are cached under `.cache/reliability/corpus/`.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import av
import numpy as np

from tests.helpers import JFK, REPO, encode_audio, load_pcm

CACHE = REPO / ".cache" / "reliability" / "corpus"
TRUNCATE_AT = (0.0005, 0.01, 0.05, 0.1, 0.25, 0.4, 0.5, 0.75, 0.9, 0.99)
# (suffix, codec, container format, content type)
CONTAINERS = {
    "wav": ("wav", "pcm_s16le", "wav", "audio/wav"),
    "flac": ("flac", "flac", "flac", "audio/flac"),
    "mp3": ("mp3", "libmp3lame", "mp3", "audio/mpeg"),
    "ogg": ("ogg", "libopus", "ogg", "audio/ogg"),
    "m4a": ("m4a", "aac", "ipod", "audio/mp4"),
    "webm": ("webm", "libopus", "webm", "audio/webm"),
}
PCM_PARAMS = {"encoding": "linear16", "sample_rate": "16000"}


@dataclass
class Case:
    name: str
    body: bytes
    content_type: str
    params: dict[str, str] = field(default_factory=dict)


def clean_encodings(seconds: float = 3.0) -> dict[tuple[str, int], bytes]:
    """The first `seconds` of the JFK clip in every container at 16 kHz and 8 kHz (and raw 16-bit PCM)."""
    pcm16 = load_pcm(JFK)[: int(seconds * 16000)]
    out: dict[tuple[str, int], bytes] = {}
    for rate in (16000, 8000):
        pcm = pcm16 if rate == 16000 else pcm16[::2]
        for kind, (suffix, codec, fmt, _) in CONTAINERS.items():
            path = CACHE / f"clean-{rate}.{suffix}"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                encode_audio(pcm, path, codec, rate=rate, fmt=fmt)
            out[(kind, rate)] = path.read_bytes()
        out[("pcm", rate)] = (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()
    return out


def content_type(kind: str) -> str:
    return CONTAINERS[kind][3] if kind in CONTAINERS else "application/octet-stream"


def flip_bits(data: bytes, rng: random.Random, flips: int, head: int | None = None) -> bytes:
    buf = bytearray(data)
    for _ in range(flips):
        pos = rng.randrange(min(len(buf), head) if head else len(buf))
        buf[pos] ^= 1 << rng.randrange(8)
    return bytes(buf)


def container_cases(kind: str, rate: int, data: bytes, rng: random.Random) -> Iterator[Case]:
    ctype = content_type(kind)
    params = {**PCM_PARAMS, "sample_rate": str(rate)} if kind == "pcm" else {}
    tag = f"{kind}-{rate}"
    for frac in TRUNCATE_AT:
        yield Case(f"{tag}-truncated-{frac}", data[: max(1, int(len(data) * frac))], ctype, params)
    for n in range(8):
        yield Case(f"{tag}-bitflip-body-{n}", flip_bits(data, rng, 1 + n * 4), ctype, params)
    for n in range(6):
        yield Case(f"{tag}-bitflip-header-{n}", flip_bits(data, rng, 1 + n, head=64), ctype, params)
    yield Case(f"{tag}-zero-length", b"", ctype, params)
    for size in (12, 44, 512):
        yield Case(f"{tag}-header-only-{size}", data[:size], ctype, params)
    for wrong in ("audio/wav", "text/plain", "image/png"):
        if wrong != ctype:
            yield Case(f"{tag}-as-{wrong.replace('/', '_')}", data, wrong, {})
    for n, size in enumerate((16, 4096, 65536)):
        yield Case(f"{tag}-magic-then-random-{n}", data[:8] + rng.randbytes(size), ctype, params)
    if kind == "pcm":
        yield Case(f"{tag}-odd-byte-count", data[:-1], ctype, params)
        yield Case(f"{tag}-no-params", data, ctype, {})


def wav_header(
    *, fmt_tag: int = 1, channels: int = 1, rate: int = 16000, bits: int = 16, data_size: int | None = None,
    riff_size: int | None = None, block_align: int | None = None, payload: bytes = b"",
) -> bytes:
    """A canonical 44-byte WAV header with every field settable, followed by `payload`."""
    align = block_align if block_align is not None else max(1, channels * bits // 8) & 0xFFFF
    size = len(payload) if data_size is None else data_size
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)
    riff = (36 + size) & 0xFFFFFFFF if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", riff) + b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack(
        "<I", size & 0xFFFFFFFF
    ) + payload


def absurd_wav_cases(pcm16: bytes, rng: random.Random) -> Iterator[Case]:
    """Headers that lie: sizes, rates, channel counts, sample formats; float payloads with NaN/Inf."""
    ctype = "audio/wav"
    lies = {
        "2^31-samples": {"bits": 8, "data_size": 2**31},
        "2^31-bytes-16-bit": {"data_size": 2**31},
        "data-size-max": {"data_size": 0xFFFFFFFF},
        "riff-size-0": {"riff_size": 0},
        "65535-channels": {"channels": 65535},
        "0-channels": {"channels": 0},
        "1-hz": {"rate": 1},
        "0-hz": {"rate": 0},
        "100-hz": {"rate": 100},
        "4ghz": {"rate": 0xFFFFFFFF},
        "0-bits": {"bits": 0},
        "7-bits": {"bits": 7},
        "64-bit-int": {"bits": 64},
        "block-align-0": {"block_align": 0},
        "format-tag-unknown": {"fmt_tag": 0x1234},
        "format-tag-extensible-short": {"fmt_tag": 0xFFFE},
        "mulaw-tag-16-bits": {"fmt_tag": 7},
    }
    for name, fields in lies.items():
        yield Case(f"wav-absurd-{name}", wav_header(payload=pcm16, **fields), ctype)
    # The bombs: a real payload whose header says 1 Hz (hours of "audio" from 66 KB / 352 KB).
    for size in (66_000, 352_000):
        yield Case(f"wav-1hz-{size // 1000}kb", wav_header(rate=1, payload=rng.randbytes(size)), ctype)
    floats = np.frombuffer(pcm16, "<i2").astype("<f4") / 32768
    nan10 = floats.copy()
    nan10[rng.sample(range(nan10.size), nan10.size // 10)] = np.nan
    for name, samples in {
        "nan-10pct": nan10,
        "nan-all": np.full_like(floats, np.nan),
        "inf": np.where(np.arange(floats.size) % 7 == 0, np.inf, floats).astype("<f4"),
        "minus-inf": np.full_like(floats, -np.inf),
        "huge": (floats * 1e30).astype("<f4"),
    }.items():
        yield Case(f"wav-float32-{name}", wav_header(fmt_tag=3, bits=32, payload=samples.tobytes()), ctype)
    nan64 = floats.astype("<f8")
    nan64[::3] = np.nan
    yield Case("wav-float64-nan", wav_header(fmt_tag=3, bits=64, payload=nan64.tobytes()), ctype)
    yield Case("pcm-linear32-nan-bits", nan10.tobytes(), "application/octet-stream", {"encoding": "linear32", "sample_rate": "16000"})
    yield Case("pcm-linear16-1hz", pcm16, "application/octet-stream", {"encoding": "linear16", "sample_rate": "1"})
    yield Case("pcm-mulaw-random", rng.randbytes(32000), "application/octet-stream", {"encoding": "mulaw", "sample_rate": "8000"})


def silence_bomb(kind: str, hours: float, rate: int = 8000) -> bytes:
    """Hours of digital silence in a compressing codec: a small file that decodes to a huge PCM buffer."""
    suffix, codec, fmt, _ = CONTAINERS[kind]
    path = CACHE / f"bomb-{hours:g}h-{rate}.{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = 4608 if codec == "flac" else 960 if codec == "libopus" else 1152
        with av.open(str(path), "w", format=fmt) as container:
            stream = container.add_stream(codec, rate=rate, layout="mono")
            zeros = np.zeros((1, frame), np.int16)
            for _ in range(int(hours * 3600 * rate / frame)):
                piece = av.AudioFrame.from_ndarray(zeros, format="s16", layout="mono")
                piece.sample_rate = rate
                for packet in stream.encode(piece):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    return path.read_bytes()


def bomb_cases(hours: float) -> Iterator[Case]:
    for kind in ("flac", "ogg", "mp3"):
        body = silence_bomb(kind, hours)
        yield Case(f"{kind}-silence-bomb-{hours:g}h-{len(body) // 1000}kb", body, content_type(kind))


def random_cases(rng: random.Random, count: int) -> Iterator[Case]:
    for n in range(count):
        size = rng.choice((1, 2, 3, 100, 1000, 10_000, 100_000, 1_000_000))
        yield Case(f"random-{n}-{size}b", rng.randbytes(size), rng.choice(("application/octet-stream", "audio/wav", "audio/mpeg")))


def build_corpus(seed: int = 1201, bomb_hours: float = 2.0, random_count: int = 24) -> list[Case]:
    """Every case, in a fixed order; `bomb_hours=0` leaves the (slow to encode) bombs out."""
    rng = random.Random(seed)
    clean = clean_encodings()
    cases: list[Case] = []
    for (kind, rate), data in clean.items():
        cases.extend(container_cases(kind, rate, data, rng))
    cases.extend(absurd_wav_cases(clean[("pcm", 16000)], rng))
    if bomb_hours > 0:
        cases.extend(bomb_cases(bomb_hours))
    cases.extend(random_cases(rng, random_count))
    return cases


def sample(cases: list[Case], count: int, seed: int = 7) -> list[Case]:
    """A fixed subset that always keeps the absurd headers, NaN and bomb cases (the fast tier)."""
    must = [c for c in cases if any(k in c.name for k in ("absurd", "1hz", "nan", "bomb", "inf"))]
    rest = [c for c in cases if c not in must]
    return must + random.Random(seed).sample(rest, max(0, min(len(rest), count - len(must))))
