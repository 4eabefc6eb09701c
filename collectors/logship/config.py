"""The shipper's YAML config: loaded with ``yaml.safe_load``, validated by pydantic, errors name the key."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from console.errors import UsageProblem
from deploy.local.layout import HOST, Layout, Ports

__all__ = ["Config", "load_config", "write_demo_config"]

_STRICT = ConfigDict(extra="forbid")


class BatchConfig(BaseModel):
    """When a batch is sent: whichever bound is reached first."""

    model_config = _STRICT
    max_lines: int = Field(1000, gt=0)
    max_bytes: int = Field(5 << 20, gt=0)
    max_age_seconds: float = Field(1.0, gt=0)


class MultilineConfig(BaseModel):
    """Joining stack traces: lines matching ``pattern`` (or not, with ``negate``) continue the event before."""

    model_config = _STRICT
    pattern: str
    negate: bool = False
    max_lines: int = Field(500, gt=0)
    flush_seconds: float = Field(1.0, gt=0)

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value.encode())
        except re.error as e:
            raise ValueError(f"not a regular expression: {e}") from e
        return value


class ElasticsearchConfig(BaseModel):
    """Where the logs go."""

    model_config = _STRICT
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class MetricsConfig(BaseModel):
    """Where the shipper serves its own ``/metrics``."""

    model_config = _STRICT
    listen: str = f"{HOST}:9465"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or int(port) > 65535:
            raise ValueError("must be HOST:PORT")
        return value

    @property
    def host(self) -> str:
        """The address part of ``listen``."""
        return self.listen.rpartition(":")[0]

    @property
    def port(self) -> int:
        """The port part of ``listen``."""
        return int(self.listen.rpartition(":")[2])


class Config(BaseModel):
    """Everything the shipper needs; relative paths are taken from the config file's folder."""

    model_config = _STRICT
    paths: list[str] = Field(min_length=1)
    elasticsearch: ElasticsearchConfig
    index_prefix: str = "logs-opsconsole"
    checkpoint_dir: Path
    dead_letter_path: Path
    batch: BatchConfig = BatchConfig()
    max_in_flight_bytes: int = Field(32 << 20, gt=0)
    # Bulk requests sent at once: while Elasticsearch indexes some batches the next are on their way (on two
    # cores, four in flight shipped about a tenth more than two: its write threads never wait for a request).
    max_bulk_in_flight: int = Field(4, ge=1, le=16)
    max_line_bytes: int = Field(1 << 20, ge=1024)  # a longer line is cut to this and tagged, never split
    multiline: MultilineConfig | None = None
    poll_interval_seconds: float = Field(0.5, gt=0)
    # A file renamed away is read to its end, then kept open this long for a writer that has not reopened yet.
    close_inactive_seconds: float = Field(5.0, ge=0)
    metrics: MetricsConfig = MetricsConfig()

    @field_validator("index_prefix")
    @classmethod
    def _index_prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", value):
            raise ValueError("must be lowercase letters, digits, '.', '_' or '-'")
        return value

    @model_validator(mode="after")
    def _in_flight_holds_a_batch(self) -> Config:
        if self.max_in_flight_bytes < self.batch.max_bytes:
            raise ValueError("max_in_flight_bytes must be at least batch.max_bytes")
        return self

    def resolved(self, base: Path) -> Config:
        """A copy whose relative paths are made absolute from ``base``."""
        return self.model_copy(update={
            "paths": [p if Path(p).is_absolute() else str(base / p) for p in self.paths],
            "checkpoint_dir": base / self.checkpoint_dir,
            "dead_letter_path": base / self.dead_letter_path,
        })


def load_config(path: Path) -> Config:
    """Read and validate a config file; UsageProblem with the offending key on any problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as e:
        raise UsageProblem(f"{path}: cannot read: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise UsageProblem(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from e
    if not isinstance(raw, dict):
        raise UsageProblem(f"{path}: must be a mapping of settings")
    try:
        config = Config.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        # A check across keys has no location; its message names the keys itself.
        raise UsageProblem(f"{path}: {key + ': ' if key else ''}{first['msg']}") from e
    return config.resolved(path.parent.absolute())


def write_demo_config(layout: Layout, ports: Ports) -> Path:
    """Write ``<config>/logship.yml`` for the local stack's service logs and return its path."""
    config = {
        "paths": [str(layout.service_logs / "*.log")],
        "elasticsearch": {"url": f"http://{HOST}:{ports.elasticsearch}"},
        "index_prefix": "logs-opsconsole",
        "checkpoint_dir": str(layout.data / "logship"),
        "dead_letter_path": str(layout.data / "logship" / "dead-letter.ndjson"),
        "batch": {"max_lines": 1000, "max_bytes": 5 << 20, "max_age_seconds": 1.0},
        "max_in_flight_bytes": 32 << 20,
        "poll_interval_seconds": 0.25,
        "metrics": {"listen": f"{HOST}:{ports.logship_metrics}"},
    }
    layout.config.mkdir(parents=True, exist_ok=True)
    target = layout.config / "logship.yml"
    tmp = target.with_suffix(".yml.tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    tmp.replace(target)
    return target
