"""`pulse-server transcribe FILE…`: the pre-recorded pipeline in-process, a progress bar over audio seconds,
one output per file (stdout, or DIR/<name>.<format> with --output)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from models.audio import AudioDecodeError
from models.config import PulseConfig
from models.pipeline import SpeakerOptions, TranscribeOptions, transcribe_file
from models.registry import LoadedModel, ModelRegistry
from models.stages import Stages
from models.transcript import Transcript
from server.config import load_config
from server.errors import ApiError
from server.options import resolve_language
from server.schemas import pulse_response
from server.settings import Settings
from server.subtitles import build_cues, to_srt, to_vtt

# YAML stage sections each switch needs; the others stay unloaded so a plain run starts fast.
STAGES_FOR = {"diarize": ("embedding", "diarization", "gender", "emotion"), "redact_pii": ("redaction",)}
ALL_STAGES = ("diarization", "gender", "emotion", "redaction")


@dataclass(frozen=True)
class TranscribeArgs:
    files: list[Path]
    config: Path
    model: str
    language: str | None
    format: str
    diarize: bool
    redact_pii: bool
    output: Path | None


def render(transcript: Transcript, fmt: str, size: int, filename: str) -> str:
    if fmt == "text":
        return transcript.text + "\n"
    if fmt == "srt":
        return to_srt(build_cues(transcript))
    if fmt == "vtt":
        return to_vtt(build_cues(transcript))
    body = pulse_response(transcript, size, word_timestamps=True, filename=filename)
    body["language"] = transcript.language
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def audio_seconds(path: Path) -> float | None:
    """The container's declared duration, for the bar's total (None when it does not say)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return container.duration / av.time_base if container.duration else None
    except (av.FFmpegError, OSError, ValueError):
        return None


def _load(config: PulseConfig, args: TranscribeArgs, settings: Settings) -> tuple[LoadedModel, Stages]:
    if args.model not in config.models:
        raise SystemExit(f"pulse-server: unknown model {args.model!r}; configured: {', '.join(config.models)}")
    wanted = {s for flag, names in STAGES_FOR.items() if getattr(args, flag) for s in names}
    stages = config.stages.model_copy(
        update={name: getattr(config.stages, name).model_copy(update={"enabled": name in wanted}) for name in ALL_STAGES}
    )
    registry = ModelRegistry.load(config.model_copy(update={"models": {args.model: config.models[args.model]}}),
                                  settings.cache_dir)
    return registry.get(args.model), Stages.load(stages)


@contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:.1f}/{task.total:.1f} s audio"), TimeElapsedColumn())
    # The bar is drawn on stderr. Outputs printed to a terminal go above the bar (rich redirects them
    # to its console); piped or redirected stdout must stay clean SRT/JSON, so it is left alone.
    with Progress(*columns, console=console, redirect_stdout=sys.stdout.isatty()) as progress:
        yield progress


def run_transcribe(args: TranscribeArgs) -> int:
    console = Console(stderr=True)
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise SystemExit(f"pulse-server: no such file: {', '.join(missing)}")
    settings = Settings(config=args.config)
    config = load_config(settings.config)
    console.print(f"loading {args.model} …")
    model, stages = _load(config, args, settings)
    try:
        plan = resolve_language(model, args.language)
    except ApiError as exc:
        raise SystemExit(f"pulse-server: {exc.message}") from None
    if args.output is not None:
        args.output.mkdir(parents=True, exist_ok=True)
    failures = 0
    with _progress(console) as progress:
        for path in args.files:
            total = audio_seconds(path)
            task = progress.add_task(path.name, total=total)
            options = TranscribeOptions(
                language=plan, word_timestamps=True, utterances=True,
                speakers=SpeakerOptions(diarize=args.diarize), redact_pii=args.redact_pii,
                progress=lambda done, task=task: progress.update(task, completed=done),
            )
            try:
                with path.open("rb") as source:
                    result = transcribe_file(model, source, options, stages)
            except AudioDecodeError as exc:
                failures += 1
                progress.console.print(f"[red]{path}: {exc}[/red]")
                continue
            duration = result.transcript.duration
            progress.update(task, total=duration, completed=duration)
            text = render(result.transcript, args.format, path.stat().st_size, path.name)
            if args.output is None:
                sys.stdout.write(text)
                sys.stdout.flush()
            else:
                target = args.output / f"{path.stem}.{args.format}"
                target.write_text(text)
                progress.console.print(f"{path} → {target}")
    return 1 if failures else 0
