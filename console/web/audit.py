"""The audit page: every mutating action, newest first, for admins; filtered by who, what, which target and how
it ended; "load more" pages with htmx."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from pydantic import ValidationError

from console import auth
from console.web.api_audit import FILTERS, AuditPage, AuditQuery, audit_page
from console.web.pages import wants_partial

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@auth.role_required("admin")
def index():
    """A page of the audit log; an htmx request gets only the next rows; bad filters are named above no rows."""
    # the filter form sends its empty fields too: an empty field filters nothing
    args = {k: v.strip() for k, v in request.args.items() if v.strip()}
    filters = {k: v for k, v in args.items() if k in FILTERS}
    try:
        query = AuditQuery.model_validate(args)
    except ValidationError as e:
        problem = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'query'}: {err['msg']}" for err in e.errors())
        return render_template("audit.html", page=AuditPage(items=[], next_before_id=None), limit=50,
                               filters=filters, problem=problem), 400
    page = audit_page(query)
    template = "partials/audit_rows.html" if wants_partial() else "audit.html"
    return render_template(template, page=page, limit=query.limit, filters=query.filters())
