"""Security headers on every answer of the console, pages, API and static files alike.

No other site may frame a page (its acknowledge, scale and silence buttons would be a click away from a
hidden overlay); scripts come only from the console's own files; nothing is sniffed into another type; the
console's URLs (they carry trace ids and searches) are not sent to other sites as a referrer; and what it
shows is kept in no cache.
"""
from __future__ import annotations

from flask import Flask, Response

# Scripts never run inline: data travels in <script type="application/json">, which is not executed. Inline
# styles stay allowed: htmx adds its indicator style, and bars are sized in style attributes.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # pages and answers hold incidents, logs, a new token's secret: kept in no cache, the browser's included;
    # static files keep their own (revalidated by ETag)
    "Cache-Control": "no-store",
}


def init_app(app: Flask) -> None:
    """Send ``HEADERS`` on every answer of ``app`` (a view that sets one of them keeps its own)."""
    app.after_request(_secure)


def _secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
