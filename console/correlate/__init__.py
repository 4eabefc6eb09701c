"""Correlation of metrics, traces and logs: pure assembly (``red``, ``traces``, ``report``, ``window``)
fed by concurrent backend queries (``fetch``, ``collect``)."""
from __future__ import annotations

from console.correlate.collect import Overview, TraceDetail, overview, trace_detail, what_happened
from console.correlate.fetch import Fetched, gather
from console.correlate.red import Red, assemble_red, red_queries, worst_first
from console.correlate.report import (
    Change,
    ExemplarRef,
    History,
    IncidentRef,
    Report,
    RuleChange,
    ScaleAction,
    Section,
    assemble,
)
from console.correlate.traces import (
    Row,
    TraceSummary,
    critical_path,
    failing,
    search_results,
    slowest,
    summarize,
    waterfall,
)
from console.correlate.window import PRESETS, Window, iso, parse_time, parse_window

__all__ = ["PRESETS", "Change", "ExemplarRef", "Fetched", "History", "IncidentRef", "Overview", "Red", "Report", "Row", "RuleChange",
           "ScaleAction", "Section",
           "TraceDetail", "TraceSummary", "Window", "assemble", "assemble_red", "critical_path", "failing",
           "gather", "iso", "overview", "parse_time", "parse_window", "red_queries", "search_results", "slowest",
           "summarize",
           "trace_detail", "waterfall", "what_happened", "worst_first"]
