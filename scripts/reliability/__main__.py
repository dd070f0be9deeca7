"""`python -m scripts.reliability [--quick] [--parts ...]`: the reliability suite against real servers on loopback.

Parts: secrets (spoken card numbers sent with redaction on; grepped at the end), fuzz (OpenAPI, auth on and
off), uploads (malformed-audio corpus), ws (WebSocket abuse), kill (kill -9 cycles), soak. Figures go to
docs/reliability.md; the exit status is 1 when any part fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.benchlib import REPO
from scripts.reliability import report
from tests.helpers import ServerProcess
from tests.support.loopback import LoopbackServer
from tests.support.reliability.common import MAIN_CONFIG, launch
from tests.support.reliability.corpus import build_corpus, sample
from tests.support.reliability.kill import KillRun
from tests.support.reliability.schema_fuzz import run_schema_fuzz
from tests.support.reliability.secrets_grep import SecretsReport, grep_workdir, send_secrets, spoken_clips
from tests.support.reliability.soak import run_soak
from tests.support.reliability.uploads import run_uploads
from tests.support.reliability.ws_abuse import build_cases, run_ws_abuse, sample_cases

PARTS = ("secrets", "fuzz", "uploads", "ws", "kill", "soak")
# Default sizes, budgeted so the whole run takes ≤ 20 minutes on 2 cores (AMD EPYC, AVX2): each part keeps the
# issue's counts (≥ 2,000 fuzzed requests, ≥ 500 uploads incl. 2-hour bombs, ≥ 300 WebSocket cases, 20 kills)
# except the soak, 3 minutes instead of 10 (`--soak-seconds 600` for the long one).
FUZZ_REQUESTS = 2000
KILL_CYCLES = 20
SOAK_SECONDS = 180.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes (a few minutes) instead of the full run")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    parser.add_argument("--fuzz-requests", type=int, help=f"generated requests, auth on + off (default {FUZZ_REQUESTS})")
    parser.add_argument("--kill-cycles", type=int, help=f"kill -9 cycles (default {KILL_CYCLES})")
    parser.add_argument("--soak-seconds", type=float, help=f"soak duration (default {SOAK_SECONDS:g})")
    parser.add_argument("--live", type=int, default=2, help="N live sessions in the soak (default 2: 2 cores)")
    parser.add_argument("--prerecorded", type=int, default=1, help="M concurrent pre-recorded requests in the soak")
    parser.add_argument("--workdir", type=Path, help="logs and data (default .cache/reliability/run-<time>)")
    parser.add_argument("--no-doc", action="store_true", help="print figures only; leave docs/reliability.md alone")
    return parser


class Suite:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
        unknown = set(self.parts) - set(PARTS)
        if unknown:
            raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))}")
        self.workdir = args.workdir or REPO / ".cache" / "reliability" / time.strftime("run-%Y%m%d-%H%M%S")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, bool] = {}
        self.secrets_sent = 0
        self.timings: dict[str, float] = {}  # wall seconds per step, in run order

    @contextmanager
    def timed(self, label: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[label] = self.timings.get(label, 0.0) + time.monotonic() - started
            print(f"  [{label}: {self.timings[label]:.0f} s]", flush=True)

    def emit(self, name: str, title: str, rows: list, notes: str = "", ok: bool | None = None) -> None:
        print(f"\n== {title}: {'pass' if ok else 'FAIL'}", flush=True)
        for key, value in rows:
            print(f"  {key}: {value}", flush=True)
        if notes:
            print("  " + notes.replace("\n", "\n  "), flush=True)
        self.results[name] = bool(ok)
        if not self.args.no_doc:
            report.write_part(name, title, rows, notes, ok)

    def main_server_parts(self) -> None:
        wanted = [p for p in ("secrets", "fuzz", "uploads", "ws") if p in self.parts]
        if not wanted:
            return
        with self.timed("server start-ups"):
            server = launch(self.workdir, "main", overrides=MAIN_CONFIG)
        try:
            if "secrets" in wanted:
                with self.timed("secrets"):
                    self.secrets_sent = send_secrets(server, spoken_clips(REPO / ".cache" / "reliability" / "speech"))
            if "fuzz" in wanted:
                with self.timed("fuzz"):
                    self.fuzz(server, auth=True)
            if "uploads" in wanted:
                with self.timed("uploads"):
                    self.uploads(server)
            if "ws" in wanted:
                with self.timed("ws"):
                    self.ws(server)
        finally:
            server.stop()
        if "fuzz" in wanted:
            with self.timed("server start-ups"):
                open_server = launch(self.workdir, "no-auth", auth=False)
            try:
                with self.timed("fuzz"):
                    self.fuzz(open_server, auth=False)
            finally:
                open_server.stop()

    def fuzz(self, server: ServerProcess, auth: bool) -> None:
        total = self.args.fuzz_requests or (300 if self.quick else FUZZ_REQUESTS)
        target = int(total * (0.7 if auth else 0.3))
        with LoopbackServer(lambda hit: (200, {"Content-Type": "audio/wav"}, b"RIFF")) as loopback:
            result = run_schema_fuzz(server, loopback.base, target=target)
        notes = ""
        if result.schema_missing:
            notes += "What /openapi.json lacks (the harness added the spec's definitions):\n" + report.bullet(
                result.schema_missing) + "\n"
        if result.failures:
            notes += "\nFailures:\n" + report.bullet([f"{f.operation} {f.status}: {f.detail}" for f in result.failures])
        if result.generation_errors:
            notes += "\nNot generated (schemathesis):\n" + report.bullet(result.generation_errors)
        if result.log_lines:
            notes += "\nServer log:\n" + report.bullet(result.log_lines)
        label = "on" if auth else "off"
        self.emit(f"fuzz-auth-{label}", f"OpenAPI fuzzing (schemathesis), auth {label}", result.rows(), notes, result.ok)

    def uploads(self, server: ServerProcess) -> None:
        cases = build_corpus(bomb_hours=0.5 if self.quick else 2.0)
        if self.quick:
            cases = sample(cases, 60)
        result = run_uploads(server, cases)
        notes = "Failures:\n" + report.bullet([f"{o.case}: {o.status} {o.seconds:.1f} s {o.note}" for o in result.failures])
        if result.log_lines:
            notes += "\n\nServer log:\n" + report.bullet(result.log_lines)
        self.emit("uploads", "Malformed-audio corpus through POST /waves/v1/stt/", result.rows(),
                  notes if not result.ok or result.log_lines else "", result.ok)

    def ws(self, server: ServerProcess) -> None:
        cases = build_cases()
        if self.quick:
            cases = sample_cases(cases, 40)
        result = run_ws_abuse(server, cases)
        notes = ""
        if result.failures:
            notes += "Failures:\n" + report.bullet([f"{o.case}: {o.handshake} {o.close_code} {o.note}" for o in result.failures])
        if result.log_lines:
            notes += "\n\nServer log:\n" + report.bullet(result.log_lines)
        self.emit("ws", "WebSocket abuse", result.rows(), notes, result.ok)

    def kill(self) -> None:
        cycles = self.args.kill_cycles or (2 if self.quick else KILL_CYCLES)
        result = KillRun(self.workdir, cycles=cycles).run()
        problems = result.lost + result.over_one_per_life + result.untruthful + result.burned
        self.emit("kill", "kill -9 during async jobs and webhook delivery", result.rows(),
                  "Jobs with problems:\n" + report.bullet(problems) if problems else "", result.ok)

    def soak(self) -> None:
        seconds = self.args.soak_seconds or (60.0 if self.quick else SOAK_SECONDS)
        with self.timed("server start-ups"):
            server = launch(self.workdir, "soak")
        try:
            result = run_soak(server, self.workdir / "soak.wav", seconds=seconds, live=self.args.live,
                              prerecorded=self.args.prerecorded)
        finally:
            server.stop()
        notes = ""
        if result.errors:
            notes += "Errors:\n" + report.bullet(result.errors)
        if result.log_lines:
            notes += "\n\nServer log:\n" + report.bullet(result.log_lines)
        self.emit("soak", "Soak with live and pre-recorded load, slow clients", result.rows(), notes, result.ok)

    def secrets(self) -> None:
        result = SecretsReport(sent=self.secrets_sent)
        grep_workdir(self.workdir, result)
        notes = "Hits:\n" + report.bullet(result.hits + result.key_hits) if not result.ok else ""
        self.emit("secrets", "No secrets in logs, request-log rows or job records", result.rows(), notes, result.ok)

    def run(self) -> int:
        started = time.monotonic()
        self.main_server_parts()
        if "kill" in self.parts:
            with self.timed("kill"):
                self.kill()
        if "soak" in self.parts:
            with self.timed("soak"):
                self.soak()
        if "secrets" in self.parts:
            with self.timed("secrets"):
                self.secrets()  # last: greps what every part wrote
        total = time.monotonic() - started
        print(f"\nreliability suite: {total / 60:.1f} min, workdir {self.workdir}", flush=True)
        for label, seconds in self.timings.items():
            print(f"  {label}: {seconds:.0f} s")
        for name, ok in self.results.items():
            print(f"  {name}: {'pass' if ok else 'FAIL'}")
        if not self.args.no_doc:
            rows = [(label, f"{seconds:.0f} s ({seconds / 60:.1f} min)") for label, seconds in self.timings.items()]
            rows.append(("total (one command, parts in sequence)", f"{total:.0f} s ({total / 60:.1f} min)"))
            report.write_part("timing", "Wall time per part", rows, ok=None)
        return 0 if all(self.results.values()) else 1


def main(argv: list[str] | None = None) -> int:
    return Suite(_parser().parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
