"""Test support code that is not a test module: loopback HTTP servers and live-socket clients.

Paths, shared data, the real server process, audio files and WER live in `tests/helpers.py`.
"""
