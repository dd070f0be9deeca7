"""Subtitle checks shared by the OpenAI-API and CLI tests: parse SRT/WebVTT cues and check their layout."""

from __future__ import annotations

import re

JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
CUE_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d) --> (\d\d):(\d\d):(\d\d)[,.](\d\d\d)")


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_cues(text: str, separator: str) -> list[tuple[float, float, str]]:
    """(start, end, text) per cue, checking the block layout of SRT (numbered) or WebVTT."""
    blocks = [b for b in text.strip().split("\n\n") if b.strip()]
    if separator == ".":
        assert blocks.pop(0) == "WEBVTT"
    cues = []
    for index, block in enumerate(blocks, 1):
        lines = block.split("\n")
        if separator == ",":
            assert lines.pop(0) == str(index)
        match = CUE_TIME.fullmatch(lines[0])
        assert match, lines[0]
        assert (lines[0][8] == separator) and (lines[0][25] == separator)
        start, end = seconds(*match.groups()[:4]), seconds(*match.groups()[4:])
        assert start <= end
        cues.append((start, end, " ".join(lines[1:])))
    return cues
