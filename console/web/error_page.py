"""The console's own page for an HTTP error outside the API: the menu, what went wrong and a way on, where
Werkzeug's bare page would leave the user with neither."""
from __future__ import annotations

import logging

from flask import render_template
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def error_page(e: HTTPException):
    """``e`` as a console page, with its status and headers (the ``Allow`` of a 405, say); Werkzeug's plain page
    when the console's cannot be drawn (the menu needs the logged-in user, from a store that may be down)."""
    headers = [(name, value) for name, value in e.get_headers() if name.lower() != "content-type"]
    try:
        return render_template("error.html", error=e), e.code, headers
    except SQLAlchemyError:
        log.exception("the page for HTTP %s needs the store, which failed: the plain page instead", e.code)
        return e
