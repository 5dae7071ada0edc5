"""`yiwang` command line: serve, db upgrade, demo seed, user/client create, audit verify.

A refusal of the product (`core.errors.DomainError`: bad input, a conflict, not found) is one
line on stderr in Chinese, naming the option at fault, and exit code 2 for bad input, else 1;
never a traceback.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from yiwang.core.actor import SYSTEM
from yiwang.core.errors import DomainError, FieldError, ValidationFailed
from yiwang.core.workdays import SHANGHAI
from yiwang.settings import Settings, get_settings

# the field of a domain error -> the option or argument a person typed it as
OPTIONS = {"region_code": "--region", "department": "--department", "roles": "--roles", "scopes": "--scopes",
           "password": "--password", "username": "USERNAME", "display_name": "--name",
           "redirect_uris": "--redirect-uri", "post_logout_redirect_uris": "--post-logout-uri", "alg": "--alg"}  # fmt: skip


def refusal_line(exc: DomainError) -> str:
    parts = [f"{OPTIONS.get(e.field, e.field)}：{e.detail}" for e in exc.errors]
    detail = exc.detail or exc.title
    return f"错误：{detail}" + (f"。{'；'.join(parts)}" if parts else "")


class RefusalsAsOneLine(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(refusal_line(exc), err=True)
            raise typer.Exit(2 if isinstance(exc, ValidationFailed) else 1) from None
        except OperationalError as exc:  # the database is unreachable or its file cannot be opened
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            typer.echo(f"错误：无法连接数据库（YIWANG_DATABASE_URL）：{first}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    help="一网 yiwang: digital government platform", no_args_is_help=True, cls=RefusalsAsOneLine
)


@app.callback()
def _every_context() -> None:
    # Every command works with every context loaded, as the server does: policies, labels, event
    # types and subscribers (a job run here must not dispatch events without the to-do list's).
    from yiwang.contexts import load

    load()


db_app = typer.Typer(help="database schema")
demo_app = typer.Typer(help="demo city")
user_app = typer.Typer(help="login accounts")
client_app = typer.Typer(help="API clients (calling systems)")
audit_app = typer.Typer(help="tamper-evident audit log")
jobs_app = typer.Typer(help="periodic jobs: audit sealing, case deadlines, events, webhooks, email and SMS")
events_app = typer.Typer(help="the event outbox: tail, replay, relay to NATS, list the types")
tasks_app = typer.Typer(help="the one to-do list (统一待办)")
hotline_app = typer.Typer(help="12345 hotline: the category model (分类建议)")
knowledge_app = typer.Typer(help="the knowledge base (知识库): import articles")
oidc_app = typer.Typer(help="single sign-on (OpenID Connect provider): signing keys, relying parties")
cityops_app = typer.Typer(help="city operations (一网统管): sensor feed, Open311 keys")
for sub, name in (
    (cityops_app, "cityops"),
    (knowledge_app, "knowledge"),
    (tasks_app, "tasks"),
    (events_app, "events"),
    (db_app, "db"),
    (demo_app, "demo"),
    (user_app, "user"),
    (client_app, "client"),
    (audit_app, "audit"),
    (jobs_app, "jobs"),
    (hotline_app, "hotline"),
    (oidc_app, "oidc"),
):
    app.add_typer(sub, name=name)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="bind port")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the web UI and API (upgrades the schema first)."""
    import uvicorn

    s = get_settings()
    _upgrade()
    uvicorn.run("yiwang.app:create_app", factory=True, host=host or s.host, port=port or s.port,
                workers=workers, access_log=False, proxy_headers=False)  # fmt: skip


def _upgrade() -> None:
    from yiwang.core import migrations

    migrations.upgrade(get_settings().database_url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations up to head."""
    _upgrade()
    typer.echo("schema is at head")


@demo_app.command("seed")
def demo_seed(
    size: Annotated[str, typer.Option(help="small | district | city")] = "small",
    seed: Annotated[int, typer.Option(help="random seed (same seed, same city)")] = 2026,
) -> None:
    """Build the deterministic demo city; safe to interrupt and run again."""
    from yiwang.demo import seed_demo

    if size not in ("small", "district", "city"):
        raise typer.BadParameter("size must be small, district or city", param_hint="--size")
    _upgrade()
    report = seed_demo(size, seed, progress=True)
    typer.echo(report.summary())


@user_app.command("create")
def user_create(
    username: str,
    display_name: Annotated[str, typer.Option("--name", help="shown name")],
    roles: Annotated[str, typer.Option(help="space- or comma-separated roles")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    department: Annotated[str | None, typer.Option(help="department code, e.g. 330106-civil_affairs")] = None,
    region: Annotated[str | None, typer.Option(help="region code of the scope")] = None,
    email: Annotated[str | None, typer.Option(help="email address for notifications")] = None,
    mobile: Annotated[str | None, typer.Option(help="mobile number for SMS notifications")] = None,
) -> None:
    """Create a login account."""
    from yiwang.contexts.identity.actions_access import user_create as create
    from yiwang.core.db import transaction

    with transaction() as s:
        user = create(s, SYSTEM, username, password, display_name, roles.replace(",", " ").split(),
                      department_code=department, region_code=region, email=email, mobile=mobile)  # fmt: skip
    typer.echo(f"created user {user.username} (id {user.id})")


@client_app.command("create")
def client_create(
    name: str,
    scopes: Annotated[str, typer.Option(help="space- or comma-separated scopes, e.g. identity")],
    region: Annotated[str, typer.Option(help="region code the client may see")],
    department: Annotated[str | None, typer.Option(help="department code")] = None,
    rate: Annotated[int | None, typer.Option(help="requests per minute")] = None,
) -> None:
    """Register a calling system; prints its client id and secret once."""
    from yiwang.contexts.identity.actions_access import client_create as create
    from yiwang.core.db import transaction

    with transaction() as s:
        client, secret = create(s, SYSTEM, name, scopes.replace(",", " ").split(), region, department, rate)
    typer.echo(json.dumps({"client_id": client.client_id, "client_secret": secret}, ensure_ascii=False))


@oidc_app.command("rotate-key")
def oidc_rotate_key(
    alg: Annotated[str | None, typer.Option(help="RS256 or EdDSA (default: YIWANG_OIDC_SIGNING_ALG)")] = None,
) -> None:
    """Make a new ID token signing key (new kid); the old one stays in the JWKS for a while."""
    from yiwang.contexts.identity.oidc.actions import key_rotate
    from yiwang.core.db import transaction

    with transaction() as s:
        kid, retired = key_rotate(s, SYSTEM, alg)
    typer.echo(json.dumps({"kid": kid, "retired": retired}, ensure_ascii=False))


@oidc_app.command("client-create")
def oidc_client_create(
    name: str,
    redirect_uri: Annotated[list[str], typer.Option(help="registered redirect URI (repeatable)")],
    scopes: Annotated[
        str, typer.Option(help="space- or comma-separated")
    ] = "openid profile org offline_access",
    post_logout_uri: Annotated[
        list[str] | None, typer.Option(help="post-logout redirect URI (repeatable)")
    ] = None,
) -> None:
    """Register a relying party; prints its client id and secret once."""
    from yiwang.contexts.identity.oidc.actions_clients import client_create as create
    from yiwang.core.db import transaction

    with transaction() as s:
        client, secret = create(
            s, SYSTEM, name, redirect_uri, scopes.replace(",", " ").split(), post_logout_uri or []
        )
    typer.echo(json.dumps({"client_id": client.client_id, "client_secret": secret}, ensure_ascii=False))


@audit_app.command("verify")
def audit_verify() -> None:
    """Seal pending records, then recompute the whole chain and every signed checkpoint."""
    from yiwang.core import audit
    from yiwang.core.audit_sealer import seal_all
    from yiwang.core.db import transaction

    seal_all()
    with transaction() as s:
        report = audit.verify(s)
    if report.ok:
        typer.echo(f"audit chain intact: {report.records} records, {report.checkpoints} signed checkpoints")
        return
    typer.echo(f"AUDIT CHAIN BROKEN at record id {report.broken_at}: {report.reason}", err=True)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Seal everything and sign the current head now."""
    from yiwang.core import audit
    from yiwang.core.db import transaction

    with transaction() as s:
        cp = audit.checkpoint(s)
    typer.echo(f"signed checkpoint at {cp.chain_seq} key {cp.key_id}" if cp else "audit log is empty")


def _register_jobs() -> list[str]:
    from yiwang.contexts.exchange.tasks import register_jobs
    from yiwang.core import jobs

    jobs.register_core_jobs(get_settings().audit_seal_interval)
    register_jobs()
    return [j.name for j in jobs.registered()]


@jobs_app.command("run-once")
def jobs_run_once(
    job: Annotated[list[str] | None, typer.Option("--job", help="run only this job (repeatable)")] = None,
) -> None:
    """Run every periodic job (or the named ones) once, now."""
    from yiwang.core import jobs

    names = _register_jobs()
    unknown = [j for j in job or [] if j not in names]
    if unknown:
        raise typer.BadParameter(
            f"unknown job {', '.join(unknown)}; known: {', '.join(names)}", param_hint="--job"
        )
    failed = False
    for name, result in jobs.run_once(job or None).items():
        failed = failed or isinstance(result, Exception)
        typer.echo(f"{name}: {'FAILED ' if isinstance(result, Exception) else ''}{result!r}")
    if failed:
        raise typer.Exit(1)


@jobs_app.command("run")
def jobs_run() -> None:
    """Run the periodic jobs in the foreground until interrupted (safe next to the server's runner).

    Jobs tolerate several processes: row claims with SKIP LOCKED, per-job advisory locks."""
    import time

    from yiwang.core import jobs

    names = _register_jobs()
    typer.echo(f"running jobs: {', '.join(names)} (Ctrl-C to stop)")
    runner = jobs.Runner()
    runner.start()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        typer.echo(f"stopped; runs: {runner.runs}")


@cityops_app.command("sensor-feed")
def cityops_sensor_feed(
    subject: str = typer.Option("cityops.sensors.readings", help="NATS subject of the readings"),
) -> None:
    """Consume sensor readings from NATS (YIWANG_NATS_URL); one over its threshold opens an urgent event."""
    import time

    from yiwang.contexts import load
    from yiwang.contexts.cityops.sensor_feed import SensorFeed
    from yiwang.settings import get_settings

    load()
    url = get_settings().nats_url
    if not url:
        raise typer.BadParameter("set YIWANG_NATS_URL")
    feed = SensorFeed(url, subject).start()
    typer.echo(f"listening on {subject}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        feed.stop()


@cityops_app.command("open311-key")
def cityops_open311_key(name: str = typer.Argument(..., help="the citizen app's name")) -> None:
    """Issue an Open311 api_key for a citizen app (printed once; kept as its SHA-256)."""
    from yiwang.contexts import load
    from yiwang.contexts.cityops.actions_open311 import key_create
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction

    load()
    with transaction() as s:
        typer.echo(key_create(s, SYSTEM, name))


@app.command("settings")
def show_settings() -> None:
    """Every setting with its current value (secrets hidden) and what it is for."""
    s = get_settings()
    for name, field in Settings.model_fields.items():
        value = getattr(s, name)
        if any(w in name for w in ("secret", "key", "password")) and value:
            value = "(set)"
        typer.echo(f"YIWANG_{name.upper():28} {value!s:40} {field.description or ''}")


def _parse_time(value: str, param: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "应为 ISO 8601 时间，例如 2026-12-01T08:00（不带时区按北京时间）", param_hint=param
        ) from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


@events_app.command("tail")
def events_tail(
    n: Annotated[int, typer.Option("-n", help="how many of the latest events to print first")] = 20,
    type_: Annotated[str | None, typer.Option("--type", help="only these types, * as wildcard")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new events")] = False,
) -> None:
    """Print events as CloudEvents JSON lines, oldest first, with their delivery state."""
    import time

    from yiwang.core import events
    from yiwang.core import events_repository as repo
    from yiwang.core.db import transaction

    with transaction() as s:
        after = max(repo.last_seq(s) - max(n, 0), 0)
    while True:
        with transaction() as s:
            rows = repo.since(s, after, None, type_, 500)
            for row in rows:
                line = events.Event.of(row).cloudevent()
                line["yiwangdelivery"] = {"dispatched": not row.dispatch_pending, "attempts": row.dispatch_attempts,
                                          "error": row.dispatch_error, "published_at": row.published_at.isoformat()
                                          if row.published_at else None}  # fmt: skip
                typer.echo(json.dumps(line, ensure_ascii=False))
                after = row.id
        if not follow:
            return
        time.sleep(0.5)


@events_app.command("replay")
def events_replay(
    since: Annotated[str, typer.Option(help="from this time on (ISO 8601; Beijing time if no zone)")],
    consumer: Annotated[str | None, typer.Option(help="run this subscriber again on each event")] = None,
    nats: Annotated[bool, typer.Option(help="publish to NATS JetStream again too")] = False,
) -> None:
    """Deliver the events since a time again. Subscribers skip events they already handled,
    unless --consumer names one whose marks are forgotten first."""
    from yiwang.core import events, events_dispatch

    moment = _parse_time(since, "--since")
    if consumer and consumer not in {sub.name for sub in events.subscribers()}:
        known = ", ".join(sorted(sub.name for sub in events.subscribers()))
        raise typer.BadParameter(f"没有名为 {consumer} 的订阅者；已有：{known}", param_hint="--consumer")
    report = events_dispatch.replay(moment, consumer, nats)
    typer.echo(
        f"requeued {report.requeued} events, forgot {report.forgotten} marks, dispatched {report.dispatched}"
    )


@events_app.command("relay")
def events_relay() -> None:
    """Publish the outbox to NATS JetStream in the foreground until interrupted. Safe next to the
    servers' own relays and other `events relay` processes: they split the work (claims)."""
    import asyncio
    import re
    import signal

    from yiwang.core import events_nats, logging

    s = get_settings()
    if not s.nats_url:
        typer.echo("YIWANG_NATS_URL is not set: there is nothing to relay to", err=True)
        raise typer.Exit(2)
    logging.configure(s.log_level, s.log_json)
    relay = events_nats.Relay(s)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, relay.stop)
        await relay.run()

    servers = re.sub(r"//[^@/,]*@", "//", s.nats_url)  # credentials in the URL stay unprinted
    typer.echo(f"relaying events to {servers}, stream {s.nats_stream} (Ctrl-C to stop)")
    asyncio.run(run())
    typer.echo(f"stopped; published {relay.published} events")


@events_app.command("types")
def events_types() -> None:
    """Every event type and the JSON schema of its data, as Markdown (docs/events.md)."""
    from yiwang.core.events_doc import markdown

    typer.echo(markdown(), nl=False)


@knowledge_app.command("import")
def knowledge_import(
    file: Annotated[str, typer.Argument(help="a .md (one article per '# ' heading), .txt or .jsonl file")],
    batch: Annotated[
        int, typer.Option(min=1, max=500, help="articles embedded and saved per transaction")
    ] = 32,
) -> None:
    """Import articles: new ones are created, changed ones get a new version, the same content
    again changes nothing (by external_id). Each batch is its own transaction."""
    from pathlib import Path

    from yiwang.contexts.workbench import knowledge_import as kimport
    from yiwang.core.db import transaction

    articles = kimport.read(Path(file))
    counts = kimport.Counts()
    with typer.progressbar(length=len(articles), label="importing articles") as bar:
        for start in range(0, len(articles), batch):
            chunk = articles[start : start + batch]
            with transaction() as s:
                kimport.article_import(s, SYSTEM, chunk, None, counts)
            bar.update(len(chunk))
    typer.echo(f"{len(articles)} articles: {counts.created} new, {counts.updated} new versions, "
               f"{counts.unchanged} unchanged")  # fmt: skip


@tasks_app.command("rebuild")
def tasks_rebuild() -> None:
    """Throw the to-do list away and project it again from every event in the outbox."""
    from yiwang.contexts.workbench.projection import rebuild
    from yiwang.core.db import transaction

    with transaction() as s:
        seen = rebuild(s)
    typer.echo(f"to-do list rebuilt from {seen} events")


@hotline_app.command("train")
def hotline_train(
    data: Annotated[
        Path | None, typer.Option(help="labelled JSONL (subject, body, label); default ../shared/data/")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="artifact to write; default the one shipped in the package")
    ] = None,
    recipe: Annotated[str, typer.Option(help="full or baseline")] = "full",
    limit: Annotated[int | None, typer.Option(min=10, help="train on the first N messages only")] = None,
) -> None:
    """Train the hotline category model reproducibly (fixed seeds) and write its artifact."""
    from yiwang.contexts.workbench import hotline_classifier as hc
    from yiwang.contexts.workbench import hotline_training as ht

    if recipe not in ht.RECIPES:
        raise ValidationFailed(
            "训练参数有误",
            [FieldError("--recipe", f"未知的训练方案：{recipe}（可选：{'、'.join(ht.RECIPES)}）")],
        )
    path = data or ht.DEFAULT_DATA
    if not path.is_file():
        raise ValidationFailed("训练参数有误", [FieldError("--data", f"找不到训练数据文件：{path}")])
    messages = ht.read_jsonl(path)[:limit]
    target = out or hc.ARTIFACT
    fitted = ht.fit(messages, ht.RECIPES[recipe])
    ht.save(fitted, target)
    size = target.stat().st_size
    typer.echo(
        f"trained {recipe} on {len(messages)} messages, {len(fitted.classes)} classes, "
        f"{fitted.weights.shape[0]} features; wrote {target} ({size / 1e6:.1f} MB)"
    )
