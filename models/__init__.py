"""Inference side of pulse-server: registry, ASR engines, audio, and the stages that enrich a Transcript.

Nothing in this package imports the web framework; `server/` is the only transport layer.
"""
