"""The reliability suite (issue 12): fuzzing, malformed audio, WebSocket abuse, kill -9, soak, secrets in logs."""
