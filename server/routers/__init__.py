"""HTTP and WebSocket routes; each module is transport only and calls into `models`."""
