"""Live path on phone audio: the telephone set streamed as a telephony bridge sends it, against the same files posted.

Each telephone clip, two-party call and digit sentence of the telephone set (scripts/telephone_set.py) is streamed
to `/waves/v1/stt/live` as its own session in its own G.711 codec at 8 kHz (`encoding=mulaw|alaw`,
`sample_rate=8000`), in 20 ms packets at real time, `--sessions` sessions at once, then `finalize` and
`close_stream`; the session's finals, joined, are its transcript. Figures per setting (`--variants`, each its own
server: `config` = the config as it is, or overrides of `models.pulse.live` joined by `+`: `vad=THRESHOLD/NEG`,
`seal_after=SECONDS`) and run (`--runs`): WER of the clips and of the calls (Whisper's English normaliser), digit
strings right after ITN, and ≥ 3-word runs repeated beyond the reference. The same files posted
to `/waves/v1/stt/` (once, on the first server) give the pre-recorded column. The CPU model and SIMD flags are
printed with the figures. Usage (quiet machine, ~10 min):
    .venv/bin/python scripts/bench_streaming_telephone.py --runs 2 \
        --variants config,seal_after=0,vad=0.5/0.35+seal_after=0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models.streaming.seams import repeated_ngrams  # noqa: E402
from scripts.benchlib import REPO, cpu_description, machine, write_section  # noqa: E402
from scripts.prerecorded_scoring import corpus_wer, digits_after_itn  # noqa: E402
from server.config import load_config  # noqa: E402
from tests.helpers import ServerProcess, normalise, start_server  # noqa: E402
from tests.support.live import connect, url  # noqa: E402
from tests.support.telephone_set import g711_payload, telephone_set  # noqa: E402

PACKET = 160  # 20 ms of 8 kHz G.711: one byte a sample
CODECS = {"ulaw": "mulaw", "alaw": "alaw"}


async def stream_file(server: ServerProcess, row: dict) -> str:
    """One session: the file's G.711 bytes at real time, then finalize; its finals joined."""
    data = g711_payload(row["path"])
    target = url(server, encoding=CODECS[row["codec"]], sample_rate=8000)
    async with connect(server, target) as ws:
        finals: list[str] = []

        async def reader() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("is_final") and message.get("transcript"):
                    finals.append(message["transcript"])
                if message.get("is_last"):
                    return

        task = asyncio.create_task(reader())
        t0 = time.monotonic()
        for start in range(0, len(data), PACKET):
            await ws.send(data[start : start + PACKET])
            delay = t0 + (start + PACKET) / 8000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await ws.send(json.dumps({"type": "finalize"}))
        await ws.send(json.dumps({"type": "close_stream"}))
        await asyncio.wait_for(task, 120)
    return " ".join(finals)


def stream_all(server: ServerProcess, rows: list[dict], sessions: int) -> dict[str, str]:
    """Every row streamed, `sessions` at a time."""
    pending = list(rows)
    out: dict[str, str] = {}

    async def worker() -> None:
        while pending:
            row = pending.pop(0)
            out[row["id"]] = await stream_file(server, row)

    async def everything() -> None:
        await asyncio.gather(*(worker() for _ in range(sessions)))

    asyncio.run(everything())
    return out


def post_all(server: ServerProcess, rows: list[dict]) -> dict[str, str]:
    out = {}
    for row in rows:
        response = httpx.post(f"{server.base_url}/waves/v1/stt/", params={"model": "pulse", "language": "en"},
                              content=Path(row["path"]).read_bytes(), headers=server.auth, timeout=600)
        response.raise_for_status()
        out[row["id"]] = response.json()["transcription"]
    return out


def scores(rows: list[dict], texts: dict[str, str]) -> dict[str, object]:
    """WER of clips and calls, digit strings right, repeated ≥ 3-word runs (live only matters)."""
    def wer(kind: str) -> float:
        chosen = [r for r in rows if r["kind"] == kind]
        return corpus_wer([r["text"] for r in chosen], [texts[r["id"]] for r in chosen])

    numbers = [r for r in rows if r["kind"] == "numbers"]
    # Left out: digit sentences (the normaliser joins "zero zero zero" into one token but not "0, 0, 0") and
    # calls whose reference says a sentence twice (8 words or more: one mishearing, said twice, would count).
    checked = [r for r in rows if r["kind"] != "numbers" and not repeated_ngrams(normalise(r["text"]).split(), [], 8)]
    repeats = sorted({" ".join(g) for r in checked
                      for g in repeated_ngrams(normalise(texts[r["id"]]).split(), normalise(r["text"]).split())})
    return {
        "clips": wer("clip"), "calls": wer("call"),
        "digits": (sum(digits_after_itn(texts[r["id"]]) == r["digits"] for r in numbers), len(numbers)),
        "repeats": repeats,
    }


def variant_config(base: Path, variant: str, folder: Path) -> Path:
    """`base` with the variant's overrides of `models.pulse.live` (or `base` itself for `config`)."""
    if variant == "config":
        return base
    config = yaml.safe_load(base.read_text())
    live = config["models"]["pulse"].setdefault("live", {})
    for item in variant.split("+"):
        key, _, value = item.partition("=")
        if key == "vad":
            threshold, neg = (float(x) for x in value.split("/"))
            live["vad"] = {"threshold": threshold, "neg_threshold": neg}
        elif key == "seal_after":
            live.setdefault("session", {})["seal_after_speech_seconds"] = float(value)
        else:
            raise SystemExit(f"unknown override {key!r} in variant {variant!r} (vad=T/N, seal_after=S)")
    path = folder / f"variant-{len(list(folder.glob('variant-*')))}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def label(config: Path, as_is: bool) -> str:
    """The live VAD thresholds and seal wait a config's `pulse` runs with."""
    live = load_config(config).models["pulse"].live
    return (f"VAD {live.vad.threshold:g} / {live.vad.neg_threshold:g}, sealed "
            f"{live.session.seal_after_speech_seconds:g} s after" + (" (config)" if as_is else ""))


def row_text(name: str, figures: dict) -> str:
    right, total = figures["digits"]
    return (f"| {name} | {100 * figures['clips']:.2f} % | {100 * figures['calls']:.2f} % | {right}/{total} | "
            f"{len(figures['repeats'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "default.yaml")
    parser.add_argument("--variants", default="config,seal_after=0,vad=0.5/0.35+seal_after=0",
                        help="settings compared, comma-separated: config, or vad=T/N and seal_after=S joined by +")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=4, help="sessions streaming at once")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    cpu = cpu_description()
    print(f"CPU: {cpu}", flush=True)
    rows = [r for r in telephone_set() if r["kind"] in ("clip", "call", "numbers")]
    lines = ["| setting (run) | clips WER | calls WER | digit strings right | repeated 3-grams |", "|---|---|---|---|---|"]
    posted: dict[str, str] = {}
    repeats: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            config = variant_config(args.config, variant, Path(tmp))
            name = label(config, variant == "config")
            server = start_server(config, Path(tmp) / "server.log", timeout=900)
            try:
                if not posted:
                    posted = post_all(server, rows)
                for run in range(1, args.runs + 1):
                    figures = scores(rows, stream_all(server, rows, args.sessions))
                    lines.append(row_text(f"{name} (run {run})", figures))
                    repeats += [f"{name} (run {run}): {', '.join(figures['repeats'])}"] \
                        if figures["repeats"] else []
                    print(lines[-1], flush=True)
            finally:
                server.stop()
    figures = scores(rows, posted)
    lines.append(row_text("posted to `/waves/v1/stt/` (pre-recorded)", figures))
    repeats += [f"posted: {', '.join(figures['repeats'])}"] if figures["repeats"] else []
    total = sum(r["duration"] for r in rows) / 60
    text = "\n".join([
        f"### Live path on phone audio (`scripts/bench_streaming_telephone.py`): {cpu}, {machine()}", "",
        f"`.venv/bin/python scripts/bench_streaming_telephone.py --runs {args.runs} --variants {args.variants} "
        f"--sessions {args.sessions}`: the telephone set's {len(rows)} clips, calls and digit sentences "
        f"({total:.1f} min) streamed in their own G.711 codec at 8 kHz, real time, {args.sessions} sessions at once, "
        "each file its own session ending in `finalize`; the same files posted once.", "",
        *lines, "",
        "Repeated 3-grams: ≥ 3-word runs a clip's or call's transcript repeats more often than its reference (calls "
        "whose reference says a sentence twice left out). "
        + ("; ".join(repeats) if repeats else "None."),
    ])
    print(text)
    if not args.no_write:
        write_section("bench_streaming_telephone", text)


if __name__ == "__main__":
    main()
