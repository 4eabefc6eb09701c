"""``opsconsole scale TARGET REPLICAS [--dry-run] [--reason TEXT]``: a manual scale through the scale service."""
from __future__ import annotations

import getpass

import click

from console.errors import UsageProblem


@click.command("scale")
@click.argument("target")
@click.argument("replicas", type=click.IntRange(min=0))
@click.option("--dry-run", is_flag=True, help="Check and record the scale without acting.")
@click.option("--reason", default="manual scale from the command line", show_default=True,
              help="Why; kept in the decision record and the audit log.")
def scale(target: str, replicas: int, dry_run: bool, reason: str) -> None:
    """Scale TARGET to REPLICAS within its policy's bounds; the loop keeps the count until the override expires."""
    from console import store
    from console.auth import Principal, record_audit
    from console.auth.cli import console_app
    from console.scaling import executor, service
    from console.store import utcnow

    principal = Principal(name=getpass.getuser(), role="operator", via="cli")
    with console_app():
        db = store.session()
        try:
            # named as the audit log names it (cli:<user>), as the API's records name their token
            record = service.scale(db, executor(), target=target, replicas=replicas, reason=reason,
                                   dry_run=dry_run, actor=principal.actor, now=utcnow())
        except (service.UnknownTarget, service.OutOfBounds, LookupError) as e:
            record_audit(principal=principal, action="scale.scale", target=f"scale:{target}", result="refused",
                         source="cli", detail={"replicas": replicas, "error": str(e)})
            raise UsageProblem(str(e)) from e
        record_audit(principal=principal, action="scale.scale", target=f"scale:{target}", result="ok", source="cli",
                     detail={"replicas": replicas, "dry_run": dry_run, "reason": reason})
    what = "would scale" if dry_run else {"applied": "scaled", "unchanged": "kept"}[record.result]
    click.echo(f"opsconsole: {what} {target} {record.from_replicas} -> {record.to_replicas} (event {record.id})",
               err=True)
