"""No secrets in logs: speak card/account numbers and names (espeak-ng), send them with redaction on over every
path (sync REST, async job + webhook, live WebSocket, `?token=` credentials), then grep every server log line,
request-log row and job record the suite wrote for those digits, names and the API keys.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from models.redaction.numbers import number_runs
from tests.helpers import API_KEY, PULSE_ONLY_KEY, ServerProcess
from tests.support.loopback import LoopbackServer, wait_until
from tests.support.redaction_audio import synthesize
from tests.support.reliability.common import auth_headers

# Digits are read one by one (scripts/redaction_audio.speakable); none of them share 4 digits with a date or time.
SPOKEN = (
    ("My card number is 4929 3817 5546 0093 and it expires next year.", ["4929381755460093"], []),
    ("Please debit account number 7734 1908 6658, my name is John Smith.", ["773419086658"], ["John Smith"]),
    ("Hello, this is Maria Garcia, my card is 5168 4473 9581 3385.", ["5168447395813385"], ["Maria Garcia"]),
)
REDACT = {"language": "en", "redact_pii": "true", "redact_pci": "true"}
# A leak: a number (written or spoken) in the text sharing this many consecutive digits with a spoken value.
LEAK_WINDOW = 4
# The request line of an access-log entry is what the client sent (URLs, fuzzed junk), never speech the
# server heard; it is still searched for API keys.
_REQUEST_LINE = re.compile(r'"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|WebSocket) [^"]*"')
# Log noise that is never speech: timestamps, clock times, addresses, ids.
_NOISE = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?|\d+\.\d+\.\d+\.\d+(?::\d+)?|[0-9a-f]{8}-[0-9a-f-]{27}|"
    r"[0-9a-f]{16,}|\d\d:\d\d(?::\d\d)?(?:\.\d+)?|port \d+|\[\d+\]|\b\d+(?:\.\d+)?\s?(?:s|ms|MB|KB|bytes)\b"
)


@dataclass
class SecretsReport:
    sources: dict[str, int] = field(default_factory=dict)  # what was grepped -> lines/rows
    hits: list[str] = field(default_factory=list)
    key_hits: list[str] = field(default_factory=list)
    sent: int = 0

    @property
    def ok(self) -> bool:
        return not self.hits and not self.key_hits

    def rows(self) -> list[tuple[str, Any]]:
        return [
            ("redacted requests with spoken card/account digits and names", self.sent),
            ("log lines / request-log rows / job rows grepped", ", ".join(f"{k}: {v}" for k, v in self.sources.items())),
            ("hits of spoken digits or names", len(self.hits)),
            ("hits of API keys", len(self.key_hits)),
        ]


def digit_leak(text: str, golds: list[str]) -> bool:
    cleaned = _NOISE.sub(" ", text)
    for run in number_runs(cleaned):
        digits = run.digits
        if any(digits[i : i + LEAK_WINDOW] in g for g in golds for i in range(len(digits) - LEAK_WINDOW + 1)):
            return True
    return False


def spoken_clips(directory: Path) -> list[Path]:
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        raise RuntimeError("espeak-ng and sox are needed to speak the secrets (scripts/test installs them)")
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, (sentence, _, _) in enumerate(SPOKEN):
        path = directory / f"secret-{n}.wav"
        if not path.exists():
            synthesize(sentence, path)
        paths.append(path)
    return paths


async def _live(server: ServerProcess, audio: bytes) -> None:
    # Credentials in the query string (?token=), as browsers send them: the URL must not reach a log either.
    query = "&".join(f"{k}={v}" for k, v in {**REDACT, "model": "pulse", "encoding": "linear16",
                                             "sample_rate": "16000", "token": API_KEY}.items())
    async with connect(f"{server.ws_url}/waves/v1/stt/live?{query}", max_size=None) as ws:
        pcm = audio[44:]
        for start in range(0, len(pcm), 3200):
            await ws.send(pcm[start : start + 3200])
        await ws.send(json.dumps({"type": "close_stream"}))
        async for _ in ws:
            pass


def send_secrets(server: ServerProcess, clips: list[Path]) -> int:
    """Each clip over sync REST (header and ?token= credentials), as an async job with a webhook, and live."""
    sent = 0
    with LoopbackServer(lambda hit: (200, {}, b"{}")) as receiver:
        for clip in clips:
            body = clip.read_bytes()
            headers = {"Content-Type": "audio/wav"}
            for params, head in (
                ({**REDACT, "model": "pulse"}, auth_headers(server)),
                ({**REDACT, "model": "pulse", "token": PULSE_ONLY_KEY}, {}),
                ({**REDACT, "model": "pulse", "webhook_url": f"{receiver.base}/hook"}, auth_headers(server)),
            ):
                response = httpx.post(f"{server.base_url}/waves/v1/stt/", params=params, content=body,
                                      headers={**headers, **head}, timeout=180)
                sent += response.status_code == 200
            asyncio.run(_live(server, body))
            sent += 1
        wait_until(lambda: len(receiver.hits) >= len(clips), timeout_s=180, step_s=0.5)
    return sent


def _db_rows(path: Path) -> list[str]:
    """Every row of every table, as text (a copy is read, so a live server's file is left alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(path) + suffix)
            if source.exists():
                shutil.copy(source, Path(tmp) / (path.name + suffix))
        conn = sqlite3.connect(Path(tmp) / path.name)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            # Text cells only: numbers (sizes, durations, unix times) are never speech.
            return [" | ".join(v for v in row if isinstance(v, str)) for t in tables
                    for row in conn.execute(f'SELECT * FROM "{t}"')]
        finally:
            conn.close()


def grep_workdir(workdir: Path, report: SecretsReport) -> None:
    golds = [g for _, digits, _ in SPOKEN for g in digits]
    names = [n.lower() for _, _, ns in SPOKEN for n in ns] + [n.split()[1].lower() for _, _, ns in SPOKEN for n in ns]
    keys = (API_KEY, PULSE_ONLY_KEY)
    sources: dict[str, list[str]] = {"log lines": [], "database rows": []}
    for log in sorted(workdir.rglob("*.log")):
        sources["log lines"] += [f"{log.name}: {line}" for line in log.read_text(errors="replace").splitlines()]
    for db in sorted(workdir.rglob("*.sqlite3")):
        sources["database rows"] += [f"{db.parent.name}: {row}" for row in _db_rows(db)]
    for kind, lines in sources.items():
        report.sources[kind] = len(lines)
        for line in lines:
            heard = _REQUEST_LINE.sub(" ", line)
            if digit_leak(heard, golds) or any(name in heard.lower() for name in names):
                report.hits.append(line[:300])
            if any(key in line for key in keys):
                report.key_hits.append(line[:300])

