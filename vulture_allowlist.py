"""Names vulture (./scripts/test) reports as unused that a library reads: listed here so it sees them used."""

from types import SimpleNamespace

_ = SimpleNamespace()

_.pts  # models/audio.py: PyAV reads frame.pts (None = let the resampler re-time frames)
_.layout  # PyAV codec contexts: channel layout read by the codec (models/streaming/codecs.py, tests)
_.bit_rate  # PyAV encoder setting (tests/test_live_clients.py)
_.row_factory  # sqlite3 connection setting (server/jobs/store.py)
_.nlp  # Presidio's NlpEngine reads self.nlp (models/redaction/engine.py)
_.daemon_threads  # socketserver setting (tests/support/loopback.py)
_.protocol_version  # http.server handler setting (tests/support/loopback.py)
_.do_GET  # http.server dispatches on the method name (tests/support/loopback.py)
_.do_POST
_.log_message  # http.server hook, overridden to keep test output quiet
_.specifications  # pyannote reads a model's specifications (tests/optin)
_.description  # ModelConfig.description: the YAML's human-readable line per model
_.lease_owner  # JobRecord / LogEntry fields mirror database columns (server/jobs/records.py)
_.lease_until
_.emotion_detection
_.gender_detection
_.settings_cls  # pydantic-settings passes these by keyword to settings_customise_sources
_.dotenv_settings
_.file_secret_settings
_.collect  # prometheus_client calls a custom collector's collect() at scrape time (server/metrics.py)
_.app_builder  # Ray Serve's import path for the application (configs/ray.yaml, docker/kuberay)
_.target_ongoing_requests  # ServeConfig fields are handed to Ray Serve by name (server/serve_config.py)
_._ordered  # pydantic model validator (server/serve_config.py)
_._pinnable  # pydantic model validator (server/serve_config.py)
_.metrics_model  # request.state attribute read by the metrics middleware (server/routers/openai.py)
_.close_sent  # websockets' protocol state, set by the WebSocket protocol subclass (server/wsprotocol.py)
_.handshake_complete
_.handle_handshake_exception  # uvicorn hook overridden by the WebSocket protocol subclass (server/wsprotocol.py)
_.readable  # io.RawIOBase protocol (tests/support/audio_inputs.py)
_.readinto
_.binary_location  # selenium's ChromeOptions setting (tests/test_playground.py)
_.handle_error  # socketserver hook, replaced to keep killed-client noise out (scripts/reliability/kill.py)
_.__getattr__  # PEP 562 lazy module attribute: Redactor imported on first use (models/redaction/__init__.py)
