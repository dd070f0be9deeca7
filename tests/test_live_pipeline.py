"""The live pipeline's stage order without models: text options on finals and partials, utterances last."""

from __future__ import annotations

import asyncio

from models.stages import Stages
from models.streaming.jobs import FinalSegment
from models.streaming.pipeline import LiveFinal, LivePipeline, LiveStageOptions
from models.text import TextOptions
from models.transcript import Word


def _segment() -> FinalSegment:
    words = [
        Word("Call", 0.0, 0.3, 0.9),
        Word("twenty", 0.3, 0.6, 0.9),
        Word("five.", 0.6, 0.9, 0.9),
        Word("Then", 2.5, 2.8, 0.9),
        Word("stop.", 2.8, 3.1, 0.9),
    ]
    return FinalSegment(words, "en", "endpointing", 0.0, 3.1)


def test_final_gets_text_options_then_utterances() -> None:
    options = LiveStageOptions(text=TextOptions(itn=True), utterances=True, utterance_pause_seconds=0.8)
    final = asyncio.run(LivePipeline(Stages(), options).final(_segment()))
    assert isinstance(final, LiveFinal)
    assert "25" in final.text  # ITN ran on the final
    assert [u.text for u in final.utterances] == ["Call 25.", "Then stop."]
    assert [w.word for w in final.words] == ["Call", "25.", "Then", "stop."]


def test_partials_follow_the_formatting_switches_but_never_itn() -> None:
    options = LiveStageOptions(text=TextOptions(punctuate=False, capitalize=False, itn=True))
    pipeline = LivePipeline(Stages(), options)
    text, entities = asyncio.run(pipeline.partial("Call twenty five. Then, Stop!"))
    assert text == "call twenty five then stop" and entities == []
    formatted = LivePipeline(Stages(), LiveStageOptions(text=TextOptions(format=False)))
    assert asyncio.run(formatted.partial("Hello, World."))[0] == "hello world"


def test_utterances_only_when_asked() -> None:
    final = asyncio.run(LivePipeline(Stages(), LiveStageOptions()).final(_segment()))
    assert final.utterances == [] and final.text == "Call twenty five. Then stop."
