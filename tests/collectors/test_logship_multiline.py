import pytest

from collectors.logship.identity import FileIdentity
from collectors.logship.multiline import Joiner, MultilineRule
from collectors.logship.tail import Line

A = FileIdentity(1, 2, "aa")
B = FileIdentity(1, 3, "bb")
PYTHON = MultilineRule(r"^\s|^Traceback|^\w+Error\b", flush_after=1.0)


def lines(*texts: str, identity=A, start: int = 0) -> list[Line]:
    out, offset = [], start
    for text in texts:
        raw = text.encode()
        out.append(Line(identity, f"/logs/{identity.ino}.log", offset, offset + len(raw) + 1, raw))
        offset += len(raw) + 1
    return out


def feed_all(joiner: Joiner, items: list[Line], now: float = 0.0) -> list[Line]:
    return [event for line in items for event in joiner.feed(line, now)]


def test_it_joins_a_python_traceback_to_the_line_before_it():
    joiner = Joiner(PYTHON)
    items = lines("ERROR checkout failed", "Traceback (most recent call last):", '  File "shop.py", line 3, in pay',
                  "    charge()", "ValueError: card declined", "INFO next request")
    done = feed_all(joiner, items)
    assert [e.raw.decode() for e in done] == ["\n".join(x.raw.decode() for x in items[:5])]
    assert (done[0].offset, done[0].end) == (0, items[4].end)
    assert [e.raw for e in joiner.flush()] == [b"INFO next request"]


def test_it_joins_a_java_stack_trace_with_a_negated_start_pattern():
    joiner = Joiner(MultilineRule(r"^\d{4}-\d{2}-\d{2} ", negate=True))
    items = lines("2025-01-01 10:00:00 ERROR boom", "java.lang.IllegalStateException: x", "\tat a.B.c(B.java:1)",
                  "Caused by: java.io.IOException", "\t... 3 more", "2025-01-01 10:00:01 INFO ok")
    done = feed_all(joiner, items)
    assert len(done) == 1 and done[0].raw.count(b"\n") == 4


@pytest.mark.parametrize("rule, texts, events", [
    pytest.param(PYTHON, ["a", "  b", "c", "  d"], 2, id="two events"),
    pytest.param(PYTHON, ["  orphan continuation", "a"], 2, id="continuation with nothing before"),
    pytest.param(MultilineRule(r"^\s", max_lines=3), ["a", " 1", " 2", " 3", " 4"], 2, id="max lines starts a new event"),
    pytest.param(MultilineRule(r"^\s", max_bytes=8), ["abcd", " efg", " h"], 2, id="max bytes starts a new event"),
])
def test_it_bounds_events(rule, texts, events):
    joiner = Joiner(rule)
    assert len(feed_all(joiner, lines(*texts)) + joiner.flush()) == events


def test_it_flushes_a_quiet_event_after_the_timeout():
    joiner = Joiner(PYTHON)
    feed_all(joiner, lines("ERROR x", "  at y"), now=10.0)
    assert joiner.next_due() == 11.0
    assert joiner.due(10.9) == []
    (event,) = joiner.due(11.0)
    assert event.raw == b"ERROR x\n  at y"
    assert joiner.next_due() is None


def test_it_keeps_files_apart():
    joiner = Joiner(PYTHON)
    done = feed_all(joiner, [lines("a")[0], lines("b", identity=B)[0], lines("  a1", start=2)[0], lines("  b1", start=2, identity=B)[0]])
    assert done == []
    assert sorted(e.raw for e in joiner.flush()) == [b"a\n  a1", b"b\n  b1"]


def test_it_marks_an_event_truncated_when_a_line_of_it_was():
    joiner = Joiner(PYTHON)
    first, second = lines("ERROR x", "  cut")
    joiner.feed(first, 0)
    joiner.feed(Line(second.identity, second.path, second.offset, second.end, second.raw, truncated=True), 0)
    assert joiner.flush()[0].truncated
