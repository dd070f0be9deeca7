"""Spoken redaction test clips: corpus sentences read out by espeak-ng, and how leaked digits are counted.

Shared by tests/test_http_redaction.py, tests/test_live_stages.py, the reliability suite's secrets grep and
scripts/redaction_audio.py (the audio audit).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from models.redaction.numbers import number_runs
from tests.helpers import REPO

CORPUS = REPO / "tests" / "data" / "redaction_corpus.jsonl"


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


AUDIO_TYPES = {"ACCOUNTNUMBER", "CREDITCARDCVV", "PHONENUMBER"}
# A number left in a response counts as leaked when it shares this many consecutive digits with a
# spoken card/CVV/phone value (a lone digit such as "the last 4 digits" would match by chance).
LEAK_MIN_DIGITS = 2


def pick_clips(rows: list[dict], count: int) -> list[dict]:
    """Sentences with card/CVV/phone values and no other numbers, spread over the tags."""
    chosen = []
    for row in rows:
        types = {e["type"] for e in row["entities"]}
        if row.get("language", "en") != "en" or not types & AUDIO_TYPES or "asr-form" in row["tags"]:
            continue
        if types - AUDIO_TYPES - {"FIRSTNAME", "LASTNAME"}:
            continue
        chosen.append(row)
    step = max(1, len(chosen) // count)
    return chosen[::step][:count]


def gold_digits(row: dict) -> list[str]:
    out = []
    for e in row["entities"]:
        if e["type"] in AUDIO_TYPES:
            runs = number_runs(e["text"])
            digits = "".join(r.digits for r in runs)
            if digits:
                out.append(digits)
    return out


def leaked_in_field(text: str, golds: list[str]) -> int:
    """Digits of `text` (written or spoken) in runs that share LEAK_MIN_DIGITS consecutive digits with a gold value."""
    leaked = 0
    for run in number_runs(text):
        d = run.digits
        if len(d) < LEAK_MIN_DIGITS:
            continue
        w = LEAK_MIN_DIGITS
        if any(d[i : i + w] in g for g in golds for i in range(len(d) - w + 1)):
            leaked += len(d)
    return leaked


_NUMBER = re.compile(r"\+?\(?\d[\d\s().-]*\d|\d")


def speakable(text: str) -> str:
    """Digits as a caller reads them: "4111 1111" -> "4 1 1 1 1 1 1 1" (espeak-ng would otherwise say
    "four thousand one hundred eleven", which no caller does); "+44" -> "plus 4 4"."""

    def spell(m: re.Match) -> str:
        spoken = " ".join(re.findall(r"\d", m.group(0)))
        return ("plus " if m.group(0).startswith("+") else "") + spoken

    return _NUMBER.sub(spell, text)


def synthesize(text: str, path: Path, voice: str = "en-us", speed: int = 165) -> None:
    """espeak-ng speech of `text` as a 16 kHz mono WAV (165 wpm: a little slower than espeak's default
    175, as a caller reading out a number)."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), speakable(text)], check=True,
                   capture_output=True)
    # -D: no dither, so a sentence always becomes the same audio (reproducible audits and tests).
    subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True, capture_output=True)
    raw.unlink(missing_ok=True)
