"""Transport side of pulse-server: FastAPI app factory, routes, wire schemas, auth and errors."""
