"""Silence matchers written one a line in Alertmanager's syntax, read into matchers and written back."""
from __future__ import annotations

import re

import pytest

from console.alerts.silence import format_matcher, parse_matchers
from console.backends.alertmanager import Matcher


@pytest.mark.parametrize(("text", "expected"), [
    ('alertname="ShopHighErrorRate"', [Matcher("alertname", "ShopHighErrorRate")]),
    ('service!="orders"', [Matcher("service", "orders", is_equal=False)]),
    ('service=~"payments|orders"', [Matcher("service", "payments|orders", is_regex=True)]),
    ('instance!~"127\\\\.0\\\\..*"', [Matcher("instance", "127\\.0\\..*", is_regex=True, is_equal=False)]),
    (' severity = "page" ', [Matcher("severity", "page")]),
    ('summary="say \\"hi\\""', [Matcher("summary", 'say "hi"')]),
    ('a="1"\n\n  \nb="2"\n', [Matcher("a", "1"), Matcher("b", "2")]),
    ("", []),
], ids=["equal", "not equal", "regex", "negative regex with escapes", "spaces around", "quotes in the value",
        "blank lines skipped", "nothing"])
def test_it_reads_each_operator(text, expected):
    assert parse_matchers(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("alertname=ShopHighErrorRate", "line 1: write name=\"value\""),
    ('a="1"\n1bad="x"', "line 2:"),
    ('a=="1"', "line 1:"),
    ('a="unterminated', "line 1:"),
    ('a="tab\\t"', "line 1: unknown escape \\t"),
], ids=["unquoted value", "name starting with a digit", "double equals", "open quote", "unknown escape"])
def test_it_names_the_first_bad_line(text, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_matchers(text)


@pytest.mark.parametrize("matcher", [
    Matcher("alertname", "A"), Matcher("service", "p|o", is_regex=True), Matcher("x", 'q"u\\o\nte', is_equal=False),
    Matcher("y", ".*", is_regex=True, is_equal=False)], ids=["equal", "regex", "escapes", "negative regex"])
def test_it_writes_a_matcher_it_reads_back(matcher):
    assert parse_matchers(format_matcher(matcher)) == [matcher]
