"""Executors carry out a scale: one small interface, one module per kind of target."""
from __future__ import annotations

from typing import Protocol

__all__ = ["Executor", "UnknownWorkload"]


class UnknownWorkload(LookupError):
    """The target names nothing this executor can scale (the API answers 404)."""


class Executor(Protocol):
    """Reads and changes the replica count of a target."""

    def replicas(self, target: str) -> tuple[int, int]:
        """``(current, ready)`` replicas of ``target``."""

    def scale(self, target: str, replicas: int) -> None:
        """Make ``target`` run ``replicas`` replicas; returns once they serve (or raises)."""
