"""opsconsole: the operations console, built by ``create_app``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The console app: settings from every layer (``config`` last), backends, telemetry and the views."""
    # imported here so that `import console.errors` (every CLI command, the log shipper) stays light
    from flask import Flask

    from console import alerts, auth, backends, ecslog, rules, scaling, store, telemetry, tracing
    from console import config as settings
    from console.web import api, audit, dashboard, headers, health, logs, pages, services, traces
    from console.web import scaling as scaling_pages
    from console.web import incidents as incident_pages
    from console.web import oncall as oncall_page
    from console.web import silences as silence_pages
    from console.web import rules as rule_pages
    from console.web import slos as slo_pages
    from console.web import tokens as token_pages
    from console.web import users as user_pages

    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config.from_mapping(settings.load(config))

    backends.init_app(app)
    telemetry.init_app(app)
    tracing.init_app(app)
    ecslog.init_app(app)
    health.init_app(app)
    store.init_app(app)
    auth.init_app(app)
    scaling.init_app(app)
    alerts.init_app(app)
    pages.init_app(app)
    headers.init_app(app)
    rules.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(audit.bp)
    for area in (dashboard.bp, services.bp, traces.bp, logs.bp, rule_pages.bp, scaling_pages.bp,
                 incident_pages.bp, silence_pages.bp, oncall_page.bp, slo_pages.bp, user_pages.bp,
                 token_pages.bp):
        app.register_blueprint(area)
    return app
