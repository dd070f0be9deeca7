"""Slow clients: an upload body that stalls or trickles is cut off with a 408 (the reliability suite's slow-client case)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from models.config import LimitsConfig
from server.errors import ApiError
from server.upload import paced


async def _sender(pieces: list[bytes], gap: float) -> AsyncIterator[bytes]:
    for piece in pieces:
        await asyncio.sleep(gap)
        yield piece


async def _collect(source: AsyncIterator[bytes], limits: LimitsConfig) -> bytes:
    return b"".join([piece async for piece in paced(source, limits)])


def test_a_steady_body_passes_whole() -> None:
    limits = LimitsConfig(body_idle_seconds=1.0, min_body_bytes_per_second=100, body_rate_grace_seconds=0.1)
    assert asyncio.run(_collect(_sender([b"x" * 500] * 6, 0.05), limits)) == b"x" * 3000


def test_a_stalled_body_times_out() -> None:
    limits = LimitsConfig(body_idle_seconds=0.2)
    with pytest.raises(ApiError) as caught:
        asyncio.run(_collect(_sender([b"x", b"y"], 0.5), limits))
    assert caught.value.status == 408 and "nothing received" in caught.value.message


def test_a_trickled_body_is_cut_off_after_the_grace_period() -> None:
    # One byte every 50 ms is 20 bytes/s: never idle long enough for the idle timeout, but far too slow.
    limits = LimitsConfig(body_idle_seconds=1.0, min_body_bytes_per_second=100, body_rate_grace_seconds=0.3)
    with pytest.raises(ApiError) as caught:
        asyncio.run(_collect(_sender([b"x"] * 40, 0.05), limits))
    assert caught.value.status == 408 and "too slow" in caught.value.message
