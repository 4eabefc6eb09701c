"""The home's webhook token: made once, private, and reused by every later command."""
from __future__ import annotations

import stat

from deploy.local.alerting import console_token
from deploy.local.layout import Layout


def test_it_makes_the_token_once_and_keeps_it_private(tmp_path):
    layout = Layout(tmp_path)
    token = console_token(layout)
    path = layout.config / "alertmanager" / "console.token"
    assert len(token) >= 32 and console_token(layout) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
