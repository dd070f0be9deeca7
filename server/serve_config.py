"""The YAML `serve:` section: how `pulse-server serve --backend ray` lays the app out on a Ray cluster.

Only read by the Ray backend; the local backend ignores it.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from models.streaming.config import _Strict

# Thread-pool sizes read from the environment by OpenMP, OpenBLAS, MKL, numexpr and onnxruntime's OpenMP builds.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


class AutoscalingBounds(_Strict):
    """Ray Serve autoscaling for one deployment (replaces a fixed `num_replicas`)."""

    min_replicas: int = Field(1, ge=0)
    max_replicas: int = Field(1, ge=1)
    # Average in-flight requests per replica Serve aims for when it adds or removes replicas.
    target_ongoing_requests: float = Field(2.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingBounds:
        if self.min_replicas > self.max_replicas:
            raise ValueError("autoscaling.min_replicas must not exceed max_replicas")
        return self


class DeploymentConfig(_Strict):
    """Replicas and resources of one Serve deployment."""

    num_replicas: int = Field(1, ge=1)
    num_cpus: float = Field(1.0, ge=0)
    num_gpus: float = Field(0.0, ge=0)
    # Requests one replica works on at once; more wait in the caller's queue.
    max_ongoing_requests: int = Field(4, ge=1)
    # Waiting requests per deployment beyond which callers get 429 (Serve's back-pressure); -1 = unbounded.
    max_queued_requests: int = Field(32, ge=-1)
    autoscaling: AutoscalingBounds | None = None
    # Threads of every pool in one replica (OpenMP/BLAS via the replica's environment, torch, and a model's
    # CTranslate2 cpu_threads × num_workers); None = num_cpus rounded down (0, i.e. less than one CPU: no cap).
    # Ray only reserves `num_cpus`: without this cap a replica's pools size themselves to the whole node.
    threads: int | None = Field(None, ge=1)
    # Bind each replica to `replica_threads` cores of its node that no other pinned replica on that node holds
    # (Linux sched_setaffinity; claimed with lock files, released when the process dies), so a replica never
    # borrows an idle core. Off = the OS scheduler places the replica's threads.
    pin_cpus: bool = False

    @model_validator(mode="after")
    def _pinnable(self) -> DeploymentConfig:
        if self.pin_cpus and not self.replica_threads:
            raise ValueError("pin_cpus needs num_cpus >= 1 or threads (the cores to bind)")
        return self

    @property
    def replica_threads(self) -> int:
        """Thread cap of one replica; 0 = none."""
        return self.threads or int(self.num_cpus)

    def serve_options(self, pin_env: dict[str, str] | None = None) -> dict[str, object]:
        """Keyword arguments for `Deployment.options()`; `pin_env` goes to pinned replicas' environment."""
        actor: dict[str, object] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.replica_threads:
            # Set when the replica's process starts, before numpy/OpenBLAS or torch read them.
            env = {name: str(self.replica_threads) for name in THREAD_ENV_VARS}
            if self.pin_cpus:
                env.update(pin_env or {})
            actor["runtime_env"] = {"env_vars": env}
        options: dict[str, object] = {
            "ray_actor_options": actor,
            "max_ongoing_requests": self.max_ongoing_requests,
            "max_queued_requests": self.max_queued_requests,
        }
        if self.autoscaling is None:
            options["num_replicas"] = self.num_replicas
        else:
            options["autoscaling_config"] = self.autoscaling.model_dump()
        return options


class ModelDeploymentConfig(DeploymentConfig):
    """A model's deployment: pre-recorded requests arriving together are taken as one `@serve.batch`."""

    max_batch_size: int = Field(4, ge=1)
    batch_wait_timeout_s: float = Field(0.01, ge=0)


class ServeConfig(_Strict):
    # "" starts a Ray instance in this process; "auto" or "ray://host:10001" joins a running cluster.
    ray_address: str = ""
    # CPUs of a Ray instance started here (None = every core); ignored when joining a cluster.
    num_cpus: int | None = Field(None, ge=1)
    # The FastAPI app (HTTP, WebSocket, async job workers). Live sessions decode in the ingress replica
    # that accepted the WebSocket, so a session never moves between replicas.
    ingress: DeploymentConfig = Field(
        default_factory=lambda: DeploymentConfig(num_cpus=0.5, max_ongoing_requests=256, max_queued_requests=-1)
    )
    # Serve's own access-log line per request in the HTTP proxy and in every replica it passes (the app's
    # request log is separate). Off by default: on small nodes it is CPU taken from the models per request.
    access_log: bool = False
    # One deployment per model name of `models:`; a model not listed here gets the defaults.
    models: dict[str, ModelDeploymentConfig] = Field(default_factory=dict)
    # Speaker (diarization, gender, emotion) and redaction stages of pre-recorded requests.
    stages: DeploymentConfig = Field(default_factory=lambda: DeploymentConfig(num_cpus=0.5))

    def model(self, name: str) -> ModelDeploymentConfig:
        return self.models.get(name) or ModelDeploymentConfig()

    @property
    def pinned_cores(self) -> int:
        """Cores that pinned replicas claim at most (autoscaling: at `max_replicas`)."""
        deployments = [self.ingress, self.stages, *self.models.values()]
        return sum(d.replica_threads * (d.autoscaling.max_replicas if d.autoscaling else d.num_replicas)
                   for d in deployments if d.pin_cpus)

    @property
    def max_ingress_replicas(self) -> int:
        scaling = self.ingress.autoscaling
        return scaling.max_replicas if scaling else self.ingress.num_replicas
