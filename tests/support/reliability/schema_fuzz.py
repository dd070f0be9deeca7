"""HTTP fuzzing from the server's own OpenAPI schema (schemathesis + hypothesis) against a real server.

Every operation, positive and negative generation, fixed seeds; every response must be < 500 and every
error a JSON body in the spec §3.6 shape. URL-valued inputs (`webhook_url`, a JSON body's `url`) are pointed
at 127.0.0.1 before sending, so fuzzing never leaves loopback. Where the schema leaves the STT routes without
query parameters or a request body, the spec's parameters are added here and listed as missing in the report.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode

from tests.helpers import ServerProcess
from tests.support.reliability.common import auth_headers, error_shape_ok, health_ok, log_problems

STT_PATHS = ("/waves/v1/stt/", "/waves/v1/pulse/get_text")
_BOOL = {"type": "string", "enum": ["true", "false"]}
# The spec's (§3.3) query parameters of the STT routes, used only where the served schema has none.
SPEC_QUERY = {
    "model": {"type": "string", "enum": ["pulse", "pulse-pro"]},
    "language": {"type": "string", "enum": ["en", "hi", "multi", "multi-eu", "de", "fr", "es"]},
    "word_timestamps": _BOOL,
    "diarize": _BOOL,
    "redact_pii": _BOOL,
    "redact_pci": _BOOL,
    "gender_detection": _BOOL,
    "emotion_detection": _BOOL,
    "numerals": {"type": "string", "enum": ["auto", "true", "false"]},
    "keywords": {"type": "string"},
    "encoding": {"type": "string", "enum": ["linear16", "linear32", "alaw", "mulaw", "opus", "ogg_opus"]},
    "sample_rate": {"type": "integer"},
    "webhook_url": {"type": "string"},
    "webhook_method": {"type": "string", "enum": ["POST", "GET"]},
    "webhook_extra": {"type": "string"},
}
SPEC_BODY = {
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {
            "schema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}
        },
    }
}


def augment(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The schema with the spec's STT query parameters and body filled in where missing, and what was missing."""
    schema = copy.deepcopy(raw)
    missing: list[str] = []
    for path in STT_PATHS:
        operation = schema.get("paths", {}).get(path, {}).get("post")
        if operation is None:
            missing.append(f"POST {path}: the operation itself")
            continue
        names = {p.get("name") for p in operation.get("parameters", [])}
        # The legacy route takes no `model` (spec §3.3).
        absent = [n for n in SPEC_QUERY if n not in names and not (n == "model" and path != STT_PATHS[0])]
        if absent:
            missing.append(f"POST {path}: query parameters {', '.join(absent)}")
            operation.setdefault("parameters", []).extend(
                {"name": n, "in": "query", "required": n == "model" and path == STT_PATHS[0], "schema": SPEC_QUERY[n]}
                for n in absent
            )
        if "requestBody" not in operation:
            missing.append(f"POST {path}: request body (raw audio / JSON url)")
            operation["requestBody"] = copy.deepcopy(SPEC_BODY)
    if "securitySchemes" not in schema.get("components", {}):
        missing.append("components.securitySchemes (Bearer API key)")
    for path, methods in schema.get("paths", {}).items():
        if path.endswith(("/health", "/ready")):  # probes: 200 or a 503 status report, never a client error
            continue
        for method, operation in methods.items():
            codes = set(operation.get("responses", {}))
            if not codes & {"400", "401", "404", "413", "4XX"}:
                missing.append(f"{method.upper()} {path}: error responses (SttErrorResponse)")
    return schema, missing


@dataclass
class FuzzFailure:
    operation: str
    status: int
    detail: str


@dataclass
class FuzzReport:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    failures: list[FuzzFailure] = field(default_factory=list)
    schema_missing: list[str] = field(default_factory=list)
    generation_errors: list[str] = field(default_factory=list)
    alive_after: bool = True
    log_lines: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(v for k, v in self.statuses.items() if k >= 500 or k == 0)

    @property
    def ok(self) -> bool:
        return not self.failures and self.alive_after and not self.log_lines

    def rows(self) -> list[tuple[str, Any]]:
        return [
            ("generated requests sent", self.requests),
            ("operations fuzzed", len(self.per_operation)),
            ("responses by status", ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))),
            ("responses ≥ 500 (or no response)", self.server_errors),
            ("error responses not JSON in the spec shape", sum(1 for f in self.failures if f.status < 500 and f.status)),
            ("/health 200 afterwards", self.alive_after),
            ("ERROR/traceback lines in the server log", len(self.log_lines)),
        ]


def _loopback_only(case: Any, loopback: str) -> None:
    """Point every URL the server would call or fetch at 127.0.0.1."""
    if isinstance(case.query, dict) and "webhook_url" in case.query:
        case.query["webhook_url"] = f"{loopback}/hook/{random.Random(str(case.query)).randrange(10**6)}"
    if isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = f"{loopback}/media/{random.Random(json.dumps(case.body, default=str)).randrange(10**6)}.wav"


@dataclass
class SchemaFuzzer:
    server: ServerProcess
    loopback: str  # base URL of a 127.0.0.1 server that answers webhooks and audio fetches
    report: FuzzReport = field(default_factory=FuzzReport)

    def _send(self, label: str, case: Any) -> None:
        _loopback_only(case, self.loopback)
        headers = auth_headers(self.server) if self.server.api_key else {}
        self.report.requests += 1
        self.report.per_operation[label] += 1
        try:
            response = case.call(base_url=self.server.base_url, headers=headers, timeout=60)
        except Exception as exc:  # a dropped connection is a failure to record, not a reason to stop
            self.report.statuses[0] += 1
            self.report.failures.append(FuzzFailure(label, 0, f"{type(exc).__name__}: {exc}"[:300]))
            return
        status = response.status_code
        self.report.statuses[status] += 1
        if status >= 500:
            self.report.failures.append(FuzzFailure(label, status, response.text[:300]))
        elif status >= 400 and not error_shape_ok(response.content):
            self.report.failures.append(FuzzFailure(label, status, f"{case.as_curl_command()[:200]} -> {response.text[:200]}"))

    def fuzz_operation(self, operation: Any, mode: GenerationMode, examples: int, run_seed: int) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @seed(run_seed)
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def body(case: Any) -> None:
            self._send(label, case)

        try:
            body()
        except Exception as exc:  # e.g. no negative case can be generated for an operation without inputs
            note = f"{label} ({mode.value}): {type(exc).__name__}: {str(exc)[:120]}"
            if note not in self.report.generation_errors:  # the same operation fails the same way every round
                self.report.generation_errors.append(note)


def run_schema_fuzz(server: ServerProcess, loopback: str, *, target: int, seed_base: int = 1201) -> FuzzReport:
    """Rounds over every operation (positive + negative) until `target` requests were sent (bounded: 20 rounds)."""
    log_offset = len(server.log())
    raw = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
    schema_dict, missing = augment(raw)
    schema = schemathesis.openapi.from_dict(schema_dict)
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzer = SchemaFuzzer(server, loopback)
    fuzzer.report.schema_missing = missing
    per_round = max(5, target // (len(operations) * 2 * 3))
    for round_no in range(20):
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzzer.fuzz_operation(operation, mode, per_round, seed_base + round_no)
        if fuzzer.report.requests >= target:
            break
    fuzzer.report.alive_after = health_ok(server)
    fuzzer.report.log_lines = log_problems(server.log()[log_offset:])
    return fuzzer.report
