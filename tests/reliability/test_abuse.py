"""The fast subset of the reliability suite against one real server: malformed uploads, WebSocket abuse,
OpenAPI fuzzing and the secrets grep (the full run is `python -m scripts.reliability`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO, ServerProcess
from tests.support.loopback import LoopbackServer
from tests.support.reliability.corpus import build_corpus, sample
from tests.support.reliability.schema_fuzz import run_schema_fuzz
from tests.support.reliability.secrets_grep import SecretsReport, grep_workdir, send_secrets, spoken_clips
from tests.support.reliability.uploads import run_uploads
from tests.support.reliability.ws_abuse import build_cases, run_ws_abuse, sample_cases

pytestmark = pytest.mark.slow


def test_malformed_uploads_get_200_or_json_4xx_in_time(abuse_server: ServerProcess) -> None:
    # Always includes the absurd headers (1 Hz, 65535 channels, 2^31 samples), NaN/Inf PCM and 6-minute bombs
    # (the full suite sends 2-hour ones).
    cases = sample(build_corpus(bomb_hours=0.1), 60)
    report = run_uploads(abuse_server, cases, time_bound_s=60.0)
    assert report.ok, [f for f in report.failures]
    assert report.server_errors == 0
    nan = {o.case: o.status for o in report.outcomes if "nan" in o.case and o.case.startswith("wav-float")}
    assert nan and all(400 <= s < 500 for s in nan.values()), nan  # speech lost to NaN is refused, not silent
    one_hz = [o for o in report.outcomes if o.case.startswith("wav-1hz")]
    assert one_hz and all(400 <= o.status < 500 for o in one_hz), one_hz


def test_websocket_abuse_closes_every_session_cleanly(abuse_server: ServerProcess) -> None:
    cases = sample_cases(build_cases(), 40)
    report = run_ws_abuse(abuse_server, cases)
    assert not report.failures, report.failures
    assert not report.log_lines, report.log_lines
    assert report.alive_after


def test_openapi_fuzzing_finds_no_server_error(abuse_server: ServerProcess) -> None:
    with LoopbackServer(lambda hit: (200, {"Content-Type": "audio/wav"}, b"RIFF")) as loopback:
        report = run_schema_fuzz(abuse_server, loopback.base, target=100)
    assert report.requests >= 100 and len(report.per_operation) >= 6
    assert not report.failures, report.failures[:10]
    assert report.alive_after and not report.log_lines, report.log_lines


def test_no_spoken_secret_or_api_key_in_logs_or_records(abuse_server: ServerProcess, reliability_dir: Path) -> None:
    sent = send_secrets(abuse_server, spoken_clips(REPO / ".cache" / "reliability" / "speech"))
    report = SecretsReport(sent=sent)
    grep_workdir(reliability_dir, report)
    assert sent == 12 and report.sources["log lines"] > 0 and report.sources["database rows"] > 0
    assert not report.hits, report.hits
    assert not report.key_hits, report.key_hits
