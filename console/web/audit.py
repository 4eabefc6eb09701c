"""The audit page: every mutating action, newest first, for admins; "load more" pages with htmx."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from pydantic import ValidationError

from console import auth
from console.web.api_audit import AuditQuery, audit_page
from console.web.pages import wants_partial

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@auth.role_required("admin")
def index():
    """A page of the audit log; an htmx request gets only the next rows."""
    try:
        query = AuditQuery.model_validate(request.args.to_dict())
    except ValidationError as e:
        abort(400, f"bad paging parameters: {e.error_count()} error(s)")
    page = audit_page(query)
    template = "partials/audit_rows.html" if wants_partial() else "audit.html"
    return render_template(template, page=page, limit=query.limit)
