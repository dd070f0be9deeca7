#!/usr/bin/env python
"""Two real server processes share one PostgreSQL: N async jobs (real pulse-pro transcriptions of short clips)
submitted to both alternately must each be delivered to the webhook exactly once (counted).

Starts its own PostgreSQL (Debian's `postgresql` package, default durability) in a temp dir and two
`pulse-server serve` processes with the same `PULSE_DATABASE_URL`, data dir (shared audio) and webhook secret.
Writes the `shared_queue` section of docs/benchmarks.md unless `--no-write`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.benchlib import cpu_description, machine, write_section  # noqa: E402
from tests.support.shared_queue import SharedQueueRun, run  # noqa: E402

SECTION = "shared_queue"


def report(result: SharedQueueRun, command: str) -> str:
    duplicates = sum(1 for c in result.deliveries.values() if c > 1)
    return f"""## Two server processes, one PostgreSQL queue (`scripts/bench_shared_queue.py`)

Machine: {machine()}; CPU: {cpu_description()}. Run under the shared CPU lock (`flock /work/coord/cpu.lock`);
other developers' short test runs may still have run, so the times are noisy; the counts are not.
Two `pulse-server serve` processes (embedded default config, 1 job worker each) share one PostgreSQL 15
(`PULSE_DATABASE_URL`, started by the script with default durability) and one data dir (accepted audio).
{result.jobs} async jobs (real pulse-pro transcriptions of the 10 shortest `asr_en` clips, cycled) were
submitted to the two processes alternately; a webhook receiver on 127.0.0.1 counted callbacks.

| jobs | accepted by A / B | delivered | delivered more than once | missing | final status | submit s | drain s |
|---|---|---|---|---|---|---|---|
| {result.jobs} | {result.accepted_by[0]} / {result.accepted_by[1]} | {len(result.deliveries)} | {duplicates} | {result.jobs - len(result.deliveries)} | {dict(result.statuses)} | {result.submit_s:.1f} | {result.drain_s:.1f} |

Exactly once: **{"yes" if result.exactly_once else "NO"}**. Command: `{command}`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-shared-queue-") as tmp:
        result = run(args.jobs, Path(tmp))
    text = report(result, f".venv/bin/python scripts/bench_shared_queue.py --jobs {args.jobs}")
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    sys.exit(0 if result.exactly_once else 1)


if __name__ == "__main__":
    main()
