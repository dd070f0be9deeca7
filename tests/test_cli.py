"""The real `pulse-server transcribe` and `pulse-server stream` commands, run as a person would."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import DATA, JFK, REPO, ServerProcess, wer
from tests.support.subtitles import JFK_TEXT, parse_cues

pytestmark = pytest.mark.slow
# The installed console script, as a person types it (the module form only where it is not installed).
ENTRY_POINT = Path(sys.executable).parent / "pulse-server"
CLI = [str(ENTRY_POINT)] if ENTRY_POINT.exists() else [sys.executable, "-m", "server.cli"]
ENV = {**os.environ, "PULSE_CACHE_DIR": str(REPO / ".cache")}


def run_with_terminal_stderr(args: list[str], timeout: float = 600) -> tuple[int, str, str]:
    """Run with stdout on a pipe and stderr on a pseudo-terminal, as in an interactive shell."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    stdout = process.stdout.read().decode() if process.stdout else ""
    process.wait(timeout=timeout)
    os.close(leader)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


def test_transcribe_prints_srt_with_a_progress_bar() -> None:
    code, stdout, terminal = run_with_terminal_stderr([*CLI, "transcribe", str(JFK), "--format", "srt"])
    assert code == 0, terminal
    cues = parse_cues(stdout, ",")
    assert len(cues) >= 2
    assert wer(JFK_TEXT, " ".join(text for _, _, text in cues)) < 0.15
    assert all(end - start <= 7.0 for start, end, _ in cues)
    assert "━" in terminal and "100%" in terminal and "11.0/11.0 s audio" in terminal


def test_transcribe_writes_one_output_per_file(tmp_path: Path) -> None:
    second = DATA / "asr_en" / "ljspeech_LJ001-0002.flac"
    result = subprocess.run(
        [*CLI, "transcribe", str(JFK), str(second), "--format", "json", "--language", "en", "--diarize",
         "--redact-pii", "--output", str(tmp_path / "out")],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["jfk.json", "ljspeech_LJ001-0002.json"]
    body = json.loads((tmp_path / "out" / "jfk.json").read_text())
    assert wer(JFK_TEXT, body["transcription"]) < 0.15
    assert body["words"] and all("speaker" in w for w in body["words"])
    assert body["metadata"]["filename"] == "jfk.flac"


def test_transcribe_reports_a_missing_file_and_a_bad_format(tmp_path: Path) -> None:
    missing = subprocess.run([*CLI, "transcribe", str(tmp_path / "nope.wav")], cwd=REPO, env=ENV,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0 and "no such file" in missing.stderr
    bad = subprocess.run([*CLI, "transcribe", str(JFK), "--format", "docx"], cwd=REPO, env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_stream_prints_partials_and_finals(server: ServerProcess) -> None:
    result = subprocess.run(
        [*CLI, "stream", str(JFK), "--url", server.ws_url, "--api-key", server.api_key, "--speed", "1.0"],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    finals = [line.split("] ", 1)[1] for line in lines if line.startswith("final:")]
    assert finals and any(line.startswith("partial:") for line in lines)
    assert wer(JFK_TEXT, " ".join(finals)) < 0.25
    # The first partial arrives before the last final: text is shown while the file is still being sent.
    assert lines.index(next(line for line in lines if line.startswith("partial:"))) < len(lines) - 1


def test_stream_refused_with_a_bad_key(server: ServerProcess) -> None:
    result = subprocess.run([*CLI, "stream", str(JFK), "--url", server.ws_url, "--api-key", "sk_wrong"],
                            cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "401" in result.stderr
