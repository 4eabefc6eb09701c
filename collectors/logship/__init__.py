"""The log shipper: tail → (multiline) → parse → enrich → batch → sink, with checkpoints between.

Each stage is a small module (``tail``, ``multiline``, ``parse``, ``enrich``, ``batch``,
``sink``, with ``retry``, ``checkpoint`` and ``deadletter`` beside); ``shipper.Shipper``
wires them. Entry points:
``python -m collectors.logship --config FILE`` and ``opsconsole logship``.
"""
from collectors.logship.config import Config, load_config, write_demo_config
from collectors.logship.shipper import Shipper

__all__ = ["Config", "Shipper", "load_config", "write_demo_config"]
