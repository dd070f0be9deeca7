"""End-to-end redaction audit on audio: corpus sentences spoken by espeak-ng, sent through a running
server, and every text field of each response checked for digits of the spoken card/CVV/account/phone
values. Used by `scripts/eval_redaction.py --audio URL` and by the redaction e2e tests."""

from __future__ import annotations

import argparse
import re
import shutil
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from tests.support.redaction_audio import AUDIO_TYPES, gold_digits, leaked_in_field, load_corpus, pick_clips, synthesize

AUDIO_NOTE = (
    "Clips: every English corpus sentence with a card, CVV, account or phone value (121; `asr-form` rows, "
    "which are written ASR output, excluded), spoken by espeak-ng with voices `en-us` and `en` (British) at 165 "
    "and 135 wpm, digits read one by one as a caller does (`speakable()`), 16 kHz mono WAV cached outside the "
    "repo; models `pulse` (Whisper base) and `pulse-pro` (Whisper tiny.en), int8 on CPU. A number left in any "
    "text field counts as leaked when it shares 2 consecutive digits with a spoken card/CVV/account/phone value "
    "(the rule of tests/test_http_redaction.py; it also counts, e.g., a building number that happens to share "
    "two digits with the phone number in the same sentence). The clips are synthesized deterministically (`sox "
    "-D`: no dither) and batch decoding does not sample at temperature > 0, so the same sentence gives the same "
    "audio and transcript on one machine.\n\n"
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
