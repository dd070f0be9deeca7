#!/usr/bin/env python3
"""Evaluate PII/PCI redaction on the labelled corpus, and end to end through a running server.

Corpus mode (default): runs `Redactor` with both flags on every sentence of
tests/data/redaction_corpus.jsonl and prints, per entity type, recall and precision; overall
precision; leaked card digits (digits of labelled card/CVV/account values left in the output);
latency per 1,000 words. Figures are given for the whole corpus and for the dev and held-out
splits. `--write` records the section in docs/benchmarks.md.

Audio mode (`--audio URL`): speaks every sentence with a card/CVV/account/phone value with
espeak-ng (two voices x two speeds; WAVs cached outside the repo), POSTs each to URL/waves/v1/stt/
for each model with redaction on and counts digits of those values that survive in any text field
of the JSON (transcription, words[].word, utterances[].text), per model, voice, speed and split
(`tune`: dev sentences, looked at while writing rules; `heldout`: the held-out sentences).

    python scripts/eval_redaction.py [--write]
    python scripts/eval_redaction.py --audio http://127.0.0.1:8000 [--key KEY] [--clips 30] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.redaction import Redactor  # noqa: E402
from models.redaction.lexicon import DIGIT_WORDS, REPEAT_WORDS, TEEN_WORDS, TENS_WORDS  # noqa: E402
from models.redaction.numbers import number_runs, tokenize  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "redaction_corpus.jsonl"
BENCH = ROOT / "docs" / "benchmarks.md"

# Entity types whose every character must be hidden to count as found; others need COVER of it.
STRICT = {"ACCOUNTNUMBER", "CREDITCARDCVV", "PHONENUMBER", "SSN", "ZIPCODE", "EMAIL"}
COVER = 0.8
CARD_TYPES = {"ACCOUNTNUMBER", "CREDITCARDCVV"}
TARGETS = {  # type -> minimum recall
    "ACCOUNTNUMBER": 0.98, "CREDITCARDCVV": 0.98, "PHONENUMBER": 0.95, "EMAIL": 0.95,
    "FIRSTNAME": 0.90, "LASTNAME": 0.90, "ADDRESS": 0.90,
}
PRECISION_TARGET = 0.90
# First runs of the held-out splits, before any change they prompted (later runs have seen them).
FIRST_RUNS = (
    "First runs on the held-out splits, before any fix they prompted: heldout-a (50 sentences) overall "
    "precision 0.969, recall 0.956, 3 leaked card digits (a CVV after \"the back says\", a UK number after "
    "\"ring me\", a spoken e-mail local part of three words); the fixes were general rules, then heldout-b "
    "(31 sentences) was written and scored once: precision 0.974 (one sentence-initial verb taken for a "
    "name), recall 1.000, 0 leaked."
)
AUDIO_TYPES = {"ACCOUNTNUMBER", "CREDITCARDCVV", "PHONENUMBER"}
AUDIO_NOTE = (
    "Clips: every English corpus sentence with a card, CVV, account or phone value (121; `asr-form` rows, "
    "which are written ASR output, excluded), spoken by espeak-ng with voices `en-us` and `en` (British) at 165 "
    "and 135 wpm, digits read one by one as a caller does (`speakable()`), 16 kHz mono WAV cached outside the "
    "repo; models `pulse` (Whisper base) and `pulse-pro` (Whisper tiny.en), int8 on CPU. A number left in any "
    "text field counts as leaked when it shares 2 consecutive digits with a spoken card/CVV/account/phone value "
    "(the rule of tests/test_http_redaction.py; it also counts, e.g., a building number that happens to share "
    "two digits with the phone number in the same sentence). Whisper's temperature fallback samples, so the same "
    "clip can transcribe differently from run to run.\n\n"
    "**Tuning vs held-out.** The ASR-form rules (spelled and misheard cues, sound-alike digits, dashed chains, "
    "the PCI fallback for uncued long or read-out numbers) were written while reading raw (unredacted) server "
    "output of the 90 `dev` sentences: 396 transcripts (pulse: en-us 165, en 165, 36 at en-us 135; pulse-pro: "
    "en-us 165, en 165), replayed through `Redactor` after each change until 2 leaky transcripts were left (a "
    "\"Free 9.0\" four words after a misheard \"three digit code\", and a building number \"one four-day\" "
    "sharing \"14\" with the phone number). `tune` rows below are 30 of those dev sentences (plus the e2e "
    "test's 6 clips when picked); `heldout` rows are the 30 heldout-a/b sentences (a243, used by the e2e test, "
    "excluded), which were never transcribed before this run and were scored once, with the engine frozen."
)
AUDIO_PARAMS = {"language": "en", "redact_pii": "true", "redact_pci": "true", "word_timestamps": "true"}
TOKEN = re.compile(r"\[[A-Z]+_\d+\]")
TEST_CLIPS = 6  # tests/test_http_redaction.py CLIP_COUNT: those clips count as tuning clips
# A number left in a response counts as leaked when it shares this many consecutive digits with a
# spoken card/CVV/phone value (a lone digit such as "the last 4 digits" would match by chance).
LEAK_MIN_DIGITS = 2


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def covered_fraction(start: int, end: int, spans: list[tuple[int, int]], text: str) -> float:
    """Share of the alphanumeric characters of text[start:end] inside any of `spans`."""
    chars = [i for i in range(start, end) if text[i].isalnum()]
    if not chars:
        return 1.0
    hit = sum(1 for i in chars if any(a <= i < b for a, b in spans))
    return hit / len(chars)


def leaked_digits(start: int, end: int, spans: list[tuple[int, int]], text: str) -> int:
    """Digits (written or spoken) of text[start:end] that no redaction span hides."""
    leaked = 0
    for tok in tokenize(text[start:end]):
        a, b = start + tok.start, start + tok.end
        hidden = all(any(x <= i < y for x, y in spans) for i in range(a, b))
        if hidden:
            continue
        if tok.is_digits:
            leaked += len(tok.text)
        elif tok.lower in DIGIT_WORDS:
            leaked += 1
        elif tok.lower in TEEN_WORDS or tok.lower in TENS_WORDS:
            leaked += 2
        elif tok.lower in REPEAT_WORDS:
            leaked += REPEAT_WORDS[tok.lower] - 1  # the digit word after it counts once
    return leaked


class Tally:
    def __init__(self) -> None:
        self.gold = defaultdict(int)
        self.found = defaultdict(int)
        self.pred = defaultdict(int)
        self.pred_ok = defaultdict(int)
        self.leaked = 0
        self.card_digits = 0
        self.misses: list[str] = []
        self.false: list[str] = []

    def recall(self, t: str) -> float | None:
        return self.found[t] / self.gold[t] if self.gold[t] else None

    def precision(self, t: str) -> float | None:
        return self.pred_ok[t] / self.pred[t] if self.pred[t] else None

    def overall_precision(self) -> float:
        p = sum(self.pred.values())
        return sum(self.pred_ok.values()) / p if p else 1.0

    def overall_recall(self) -> float:
        g = sum(self.gold.values())
        return sum(self.found.values()) / g if g else 1.0


def evaluate(redactor: Redactor, rows: list[dict]) -> tuple[dict[str, Tally], dict]:
    splits = sorted({row["split"] for row in rows})
    tallies = {"all": Tally(), **{name: Tally() for name in splits}}
    times: list[float] = []
    words = 0
    for row in rows:
        text, lang = row["text"], row.get("language", "en")
        t0 = time.perf_counter()
        spans = redactor.analyze(text, pii=True, pci=True, language=lang)
        times.append(time.perf_counter() - t0)
        words += len(text.split())
        by_type: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for s in spans:
            by_type[s.token_type].append((s.start, s.end))
        every = [(s.start, s.end) for s in spans]
        for tally in (tallies["all"], tallies[row["split"]]):
            for e in row["entities"]:
                t = e["type"]
                tally.gold[t] += 1
                need = 1.0 if t in STRICT else COVER
                if covered_fraction(e["start"], e["end"], by_type[t], text) >= need - 1e-9:
                    tally.found[t] += 1
                else:
                    tally.misses.append(f"{row['id']} {t}")
                if t in CARD_TYPES:
                    tally.leaked += leaked_digits(e["start"], e["end"], every, text)
            for s in spans:
                tally.pred[s.token_type] += 1
                ok = any(
                    e["type"] == s.token_type and e["start"] < s.end and s.start < e["end"] for e in row["entities"]
                )
                if ok:
                    tally.pred_ok[s.token_type] += 1
                else:
                    tally.false.append(f"{row['id']} {s.token_type}")
    total = sum(times)
    latency = {
        "sentences": len(rows),
        "words": words,
        "ms_per_1000_words": 1000.0 * total / words * 1000 if words else 0.0,
        "p50_ms": 1000 * statistics.median(times) if times else 0.0,
        "p95_ms": 1000 * sorted(times)[int(0.95 * (len(times) - 1))] if times else 0.0,
    }
    return tallies, latency


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def report(tallies: dict[str, Tally], latency: dict) -> tuple[str, bool]:
    types = sorted(set(tallies["all"].gold) | set(tallies["all"].pred))
    splits = [name for name in tallies if name != "all"]
    lines = [
        "| type | gold | recall (all) | precision (all) | " + " | ".join(f"recall {s}" for s in splits) + " | target |",
        "|---|---|---|---|" + "---|" * len(splits) + "---|",
    ]
    ok = True
    for t in types:
        a = tallies["all"]
        target = TARGETS.get(t)
        met = ""
        if target is not None:
            r = a.recall(t)
            good = r is not None and r >= target
            ok &= good
            met = f"≥ {target:.2f} {'✓' if good else '✗'}"
        per_split = " | ".join(_fmt(tallies[s].recall(t)) for s in splits)
        lines.append(f"| {t} | {a.gold[t]} | {_fmt(a.recall(t))} | {_fmt(a.precision(t))} | {per_split} | {met} |")
    summary = []
    for name in tallies:
        tl = tallies[name]
        p = tl.overall_precision()
        summary.append(
            f"- {name}: overall precision {p:.3f}, overall recall {tl.overall_recall():.3f}, "
            f"leaked card digits {tl.leaked}"
        )
    p_all = tallies["all"].overall_precision()
    ok &= p_all >= PRECISION_TARGET and tallies["all"].leaked == 0
    summary.append(
        f"- latency: {latency['ms_per_1000_words']:.0f} ms per 1,000 words "
        f"({latency['sentences']} sentences, {latency['words']} words; per sentence p50 "
        f"{latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms; 1 thread, this machine)"
    )
    summary.append(f"- targets (recall per type, precision ≥ {PRECISION_TARGET}, zero leaked card digits): "
                   f"{'all met' if ok else 'NOT met'}")
    return "\n".join(lines) + "\n\n" + "\n".join(summary) + "\n", ok


def write_section(body: str, key: str = "redaction", title: str = "PII/PCI redaction") -> None:
    """Replace (or append) this script's section of docs/benchmarks.md, between BEGIN/END markers."""
    begin, end = f"<!-- BEGIN {key} -->", f"<!-- END {key} -->"
    section = f"{begin}\n## {title}\n\n{body}{end}\n"
    BENCH.parent.mkdir(parents=True, exist_ok=True)
    old = BENCH.read_text() if BENCH.exists() else "# Benchmarks\n"
    if begin in old and end in old:
        new = old[: old.index(begin)] + section + old[old.index(end) + len(end) + 1 :]
    else:
        new = old.rstrip("\n") + "\n\n" + section
    BENCH.write_text(new)


# --- audio ---------------------------------------------------------------------------------


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


def audio_rows(rows: list[dict]) -> list[dict]:
    """Every English sentence with a card, CVV, account or phone value: the widened audio set."""
    return [r for r in rows if r.get("language", "en") == "en" and {e["type"] for e in r["entities"]} & AUDIO_TYPES
            and "asr-form" not in r["tags"]]  # written ASR output, not what a caller says


def audio_split(row: dict, test_ids: set[str]) -> str:
    """`tune` (dev sentences and the e2e test's clips: looked at while writing rules) or `heldout`."""
    return "tune" if row["split"] == "dev" or row["id"] in test_ids else "heldout"


def score_response(body: dict, row: dict) -> tuple[int, int]:
    """(leaked digits over transcription, words and utterances; tokens in the transcription)."""
    fields = [body.get("transcription") or ""]
    fields += [w.get("word", "") for w in body.get("words") or []]
    fields += [u.get("text", "") for u in body.get("utterances") or []]
    golds = gold_digits(row)
    return sum(leaked_in_field(f, golds) for f in fields), len(TOKEN.findall(fields[0]))


def run_audio(args: argparse.Namespace) -> tuple[str, bool]:
    import httpx

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get update && apt-get install -y espeak-ng sox")
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = load_corpus()
    test_ids = {r["id"] for r in pick_clips(rows, TEST_CLIPS)}
    chosen = [r for r in audio_rows(rows) if args.split == "all" or audio_split(r, test_ids) == args.split]
    if args.clips:  # at most this many tuning sentences, spread over the corpus; the held-out set stays whole
        tune = [r for r in chosen if audio_split(r, test_ids) == "tune"]
        chosen = tune[:: max(1, len(tune) // args.clips)][: args.clips] + [r for r in chosen if r not in tune]
    headers = {"Authorization": f"Bearer {args.key}"} if args.key else {}
    variants = [(v, int(sp)) for v in args.voices.split(",") for sp in args.speeds.split(",")]
    lines = ["| model | voice | wpm | split | clips | clips with a leak | leaked digits | tokens |",
             "|---|---|---|---|---|---|---|---|"]
    models = args.models.split(",")
    for voice, speed in variants:  # synthesize first: espeak-ng must not compete with the timed requests
        for row in chosen:
            wav = args.cache / f"{row['id']}-{voice}-{speed}.wav"
            if not wav.exists():
                synthesize(row["text"], wav, voice, speed)
    # Models alternate job by job, so the two requests in flight go to the two models' workers.
    jobs = [(m, v, sp, row) for v, sp in variants for row in chosen for m in models]

    def post(job: tuple[str, str, int, dict]) -> tuple[int, int]:
        model, voice, speed, row = job
        wav = args.cache / f"{row['id']}-{voice}-{speed}.wav"
        resp = client.post(f"{args.audio.rstrip('/')}/waves/v1/stt/", params={**AUDIO_PARAMS, "model": model},
                           content=wav.read_bytes(), headers=headers)
        resp.raise_for_status()
        leaked, tokens = score_response(resp.json(), row)
        if leaked:
            print(f"LEAK {model} {voice} {speed} {row['id']}: {resp.json().get('transcription')!r}", flush=True)
        return leaked, tokens

    # Requests for the two models run side by side (each model has its own worker in the server).
    with httpx.Client(timeout=600) as client, ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(post, jobs))
    tally: dict[tuple[str, str, int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    leaky_ids = []
    for (model, voice, speed, row), (leaked, tokens) in zip(jobs, results, strict=True):
        t = tally[(model, voice, speed, audio_split(row, test_ids))]
        t[0] += 1
        t[1] += leaked > 0
        t[2] += leaked
        t[3] += tokens
        if leaked:
            leaky_ids.append(f"{model}/{voice}/{speed}/{row['id']}")
    for (model, voice, speed, split), (n, bad, leaked, tokens) in sorted(tally.items(), key=lambda kv: kv[0]):
        lines.append(f"| {model} | {voice} | {speed} | {split} | {n} | {bad} | {leaked} | {tokens} |")
    total = sum(t[2] for t in tally.values())
    clips = len(jobs)
    body = AUDIO_NOTE + "\n\n" + "\n".join(lines) + (
        f"\n\n- {clips} requests ({len(chosen)} sentences x {len(variants)} voice/speed variants x "
        f"{len(models)} models) to `POST /waves/v1/stt/?redact_pii=true&redact_pci=true"
        f"&word_timestamps=true`: {total} card/CVV/account/phone digits left across transcription, words and "
        f"utterances" + (f" (clips: {', '.join(leaky_ids)})" if leaky_ids else "") + "\n"
    )
    return body, total == 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="record the section in docs/benchmarks.md")
    ap.add_argument("--audio", metavar="URL", help="end-to-end mode against a running server")
    ap.add_argument("--key", default=os.environ.get("PULSE_API_KEY"), help="API key for --audio")
    ap.add_argument("--clips", type=int, default=0, help="audio: at most this many tuning sentences (0: all)")
    ap.add_argument("--models", default="pulse,pulse-pro", help="audio: comma-separated models")
    ap.add_argument("--voices", default="en-us,en", help="audio: espeak-ng voices")
    ap.add_argument("--speeds", default="165,135", help="audio: espeak-ng words per minute")
    ap.add_argument("--workers", type=int, default=2, help="audio: requests in flight")
    ap.add_argument("--split", choices=("tune", "heldout", "all"), default="all", help="audio: which sentences")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "pulse-redaction-audio",
                    help="audio: WAV cache (outside the repo)")
    ap.add_argument("--verbose", "-v", action="store_true", help="list missed and false detections by sentence id")
    args = ap.parse_args()

    if args.audio:
        body, ok = run_audio(args)
        print(body)
        if args.write:
            write_section(body, "redaction_audio", "PII/PCI redaction, end to end (espeak-ng audio)")
        return 0 if ok else 1

    t0 = time.perf_counter()
    redactor = Redactor()
    load_s = time.perf_counter() - t0
    rows = load_corpus()
    redactor.analyze(rows[0]["text"], pii=True, pci=True, language="en")  # warm-up
    tallies, latency = evaluate(redactor, rows)
    table, ok = report(tallies, latency)
    counts = defaultdict(int)
    for r in rows:
        counts[r["split"]] += 1
    head = (
        f"`scripts/eval_redaction.py` over `tests/data/redaction_corpus.jsonl`: {len(rows)} sentences "
        f"({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}), both flags on. "
        "A labelled value is found when spans of its type hide all of it (numbers, e-mail) or 80 % of it "
        f"(names, addresses, dates). Engine load {load_s:.1f} s. {FIRST_RUNS}\n\n"
    )
    print(head + table)
    if args.verbose:
        print("missed:", " ".join(tallies["all"].misses))
        print("false:", " ".join(tallies["all"].false))
    if args.write:
        write_section(head + table)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
