"""The official `smallestai` SDK aimed at a test server (spec §6.1: base URLs and `max_retries=0`)."""

from __future__ import annotations

import smallestai
from smallestai.environment import SmallestAIEnvironment

from tests.helpers import ServerProcess, manifest

JFK_TEXT = next(row["text"] for row in manifest("asr_en.jsonl") if row["audio"].endswith("jfk.flac"))


def make_client(server: ServerProcess, key: str | None = None) -> smallestai.SmallestAI:
    env = SmallestAIEnvironment(
        atoms=f"{server.base_url}/atoms/v1", waves=server.base_url, waves_ws=server.ws_url, payment=server.base_url
    )
    return smallestai.SmallestAI(api_key=key or server.api_key, environment=env, max_retries=0)
