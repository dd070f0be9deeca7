"""Live streaming: audio-in codecs, streaming VAD, session engine, decode scheduler (no FastAPI here)."""
