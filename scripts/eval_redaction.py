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
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.redaction import Redactor  # noqa: E402
from models.redaction.lexicon import DIGIT_WORDS, REPEAT_WORDS, TEEN_WORDS, TENS_WORDS  # noqa: E402
from models.text.words import split_text  # noqa: E402
from scripts.benchlib import write_section  # noqa: E402
from tests.support.redaction_audio import load_corpus  # noqa: E402

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
    for tok in split_text(text[start:end]):
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
        from scripts.redaction_audio import run_audio

        body, ok = run_audio(args)
        print(body)
        if args.write:
            write_section("redaction_audio", "## PII/PCI redaction, end to end (espeak-ng audio)\n\n" + body)
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
        write_section("redaction", "## PII/PCI redaction\n\n" + head + table)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
