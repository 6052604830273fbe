"""``mnemora-server``: serve, migrate, and provision tenants, keys and usage."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from mnemora_server import __version__
from mnemora_server.errors import MnemoraServerError, NotFoundError
from mnemora_server.settings import Settings
from mnemora_server.startup import configuration, uses_data_dir


def _settings() -> Settings:
    return Settings()


def _context(*, creates: bool = False) -> tuple[Settings, Any]:
    """The settings and the migrated stores.

    Args:
        creates: Whether the command may create a new data directory (``migrate``, ``serve``);
            the others refuse to, so that a command run from the wrong directory never
            answers from a new empty one.
    """
    from mnemora_server import failpoints
    from mnemora_server.embeddings.registry import build_embedder
    from mnemora_server.stores.registry import open_stores

    settings = _settings()
    if uses_data_dir(settings):
        where = settings.data_dir.resolve()
        if not creates and not where.is_dir():
            raise NotFoundError(
                f"no data directory at {where}: run the command where the server's data is, "
                "or set MNEMORA_DATA_DIR (create one with `mnemora-server migrate`)"
            )
        print(f"data directory: {where}", file=sys.stderr)
    failpoints.arm(settings.failpoints)
    stores = open_stores(settings, dimension=build_embedder(settings).dimension)
    stores.setup()
    return settings, stores


def _services() -> Any:
    import time

    from mnemora_server.embeddings.registry import build_embedder
    from mnemora_server.services.registry import Services

    settings, stores = _context()
    return Services.build(settings, stores, build_embedder(settings), time.time)


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrate the stores, then serve the API."""
    from mnemora_server.serving import prepare_metrics, serve

    prepare_metrics(args.server)  # before the app's modules (and prometheus-client) load
    from mnemora_server.app import create_app
    from mnemora_server.embeddings.registry import probe_embedder

    settings, _ = _context(creates=True)  # migrate first: the embedded default needs nothing
    described = probe_embedder(settings)  # loads (or fetches, once) the model, or refuses
    host = args.host or settings.host
    port = args.port or settings.port
    for line in configuration(settings, described):
        print(line, flush=True)
    print(
        f"mnemora-server listening on http://{host}:{port} "
        f"({args.workers} workers x {args.threads} threads)",
        flush=True,
    )
    serve(
        lambda: create_app(_settings()),
        host=host,
        port=port,
        workers=args.workers,
        threads=args.threads,
        server=args.server,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Create or upgrade every store's schema."""
    settings, _ = _context(creates=True)
    print(f"stores migrated (data dir {settings.data_dir.resolve()})")
    return 0


def cmd_tenants(args: argparse.Namespace) -> int:
    """Create, list, show or delete tenants."""
    from mnemora_server.schemas.admin import IssuedKeyOut, KeyOut, TenantOut

    services = _services()
    accounts, erasure = services.accounts, services.erasure
    if args.action == "create":
        if args.if_missing and _exists(accounts, args.tenant_id):
            print(
                f"tenant {args.tenant_id!r} already exists; its keys were shown when they "
                f"were created. A new one: mnemora-server keys create {args.tenant_id}"
            )
            return 0
        limits = json.loads(args.limits) if args.limits else None
        tenant = accounts.create_tenant(args.tenant_id, args.tier, limits)
        _print(TenantOut.of(tenant, accounts.limits_of(tenant)).model_dump())
        if args.with_key:
            issued = accounts.create_key(args.tenant_id)
            shown = KeyOut.of(issued.record, issued.record.created_at).model_dump()
            _print(IssuedKeyOut(**shown, api_key=issued.api_key).model_dump())
            print(
                f"\nAPI key for tenant {args.tenant_id!r} (shown once, keep it safe):\n"
                f"  {issued.api_key}"
            )
    elif args.action == "list":
        tenants = accounts.list_tenants(limit=10_000, after=None)
        _print([TenantOut.of(t, accounts.limits_of(t)).model_dump() for t in tenants])
    elif args.action == "show":
        tenant = accounts.get_tenant(args.tenant_id)
        _print(TenantOut.of(tenant, accounts.limits_of(tenant)).model_dump())
    elif args.action == "delete":
        print(f"erasing tenant {args.tenant_id!r} ...", file=sys.stderr)
        _print(erasure.delete_tenant(args.tenant_id))
    return 0


def _exists(accounts: Any, tenant_id: str) -> bool:
    try:
        accounts.get_tenant(tenant_id)
    except MnemoraServerError:
        return False
    return True


def cmd_keys(args: argparse.Namespace) -> int:
    """Create, list or revoke API keys."""
    import time

    from mnemora_server.schemas.admin import IssuedKeyOut, KeyOut
    from mnemora_server.timestamps import parse_time

    accounts = _services().accounts
    if args.action == "create":
        expires = parse_time(args.expires_at) if args.expires_at else None
        issued = accounts.create_key(args.tenant_id, scope=args.scope, expires_at=expires)
        shown = KeyOut.of(issued.record, time.time()).model_dump()
        _print(IssuedKeyOut(**shown, api_key=issued.api_key).model_dump())
    elif args.action == "list":
        now = time.time()
        _print([KeyOut.of(k, now).model_dump() for k in accounts.list_keys(args.tenant_id)])
    elif args.action == "revoke":
        accounts.revoke_key(args.key_id)
        print(f"key {args.key_id} revoked")
    return 0


def cmd_usage(args: argparse.Namespace) -> int:
    """Show a tenant's usage."""
    services = _services()
    accounts, usage = services.accounts, services.usage
    tenant = accounts.get_tenant(args.tenant_id)
    if args.daily:
        _print(usage.daily(tenant.tenant_id, args.daily))
    else:
        _print(usage.report(tenant.tenant_id, tenant.tier, accounts.limits_of(tenant)))
    return 0


def cmd_tier_episodes(args: argparse.Namespace) -> int:
    """Move episodes older than the hot retention to the cold tier (once, or every N s)."""
    import time

    episodic = _services().episodic
    while True:
        report = episodic.tier(progress=lambda line: print(line, file=sys.stderr, flush=True))
        print(
            json.dumps(
                {
                    "agents": report.agents,
                    "segments": report.segments,
                    "episodes_moved": report.episodes,
                    "orphans_removed": report.orphans_removed,
                }
            ),
            flush=True,
        )
        if not args.every:
            return 0
        time.sleep(args.every)


def cmd_index_tenants(args: argparse.Namespace) -> int:
    """Give the largest tenants HNSW indexes of their own (PostgreSQL semantic store)."""
    from mnemora_server.stores.postgres.tenant_indexes import DEFAULT_MIN_VECTORS, TenantIndexes

    settings, _ = _context()
    vector_url = settings.vector_url or ""
    if not vector_url.startswith(("postgresql://", "postgres://")):
        print("index-tenants needs MNEMORA_VECTOR_URL=postgresql://...", file=sys.stderr)
        return 2
    indexes = TenantIndexes(settings.postgres_admin_url or vector_url)
    report = indexes.sync(args.min_vectors or DEFAULT_MIN_VECTORS)
    _print({"created": report.created, "kept": report.kept, "dropped": report.dropped})
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a tenant's (or agent's) memory as NDJSON to a file or stdout."""
    from mnemora_server.archives import open_output

    services = _services()
    services.accounts.get_tenant(args.tenant_id)
    lines = 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open_output(args.output)) if args.output else sys.stdout
        for line in services.transfer.export(args.tenant_id, args.agent_id):
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
            lines += 1
            if lines % 1000 == 0:
                print(f"exported {lines} records", file=sys.stderr, flush=True)
    print(f"exported {lines} lines to {args.output or 'stdout'}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Restore an NDJSON export (a file or an S3 object) into a tenant."""
    from mnemora_server.archives import open_input

    services = _services()
    tenant = services.accounts.get_tenant(args.tenant_id)
    limits = services.accounts.limits_of(tenant)

    def lines() -> Any:
        with open_input(args.input) as handle:
            for number, line in enumerate(handle, start=1):
                if number % 1000 == 0:
                    print(f"read {number} lines", file=sys.stderr, flush=True)
                yield line

    report = services.transfer.import_lines(args.tenant_id, limits, lines())
    _print({"stored": report.stored, "skipped": report.skipped, "lines": report.lines})
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="mnemora-server", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mnemora-server {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="interface to listen on (default: MNEMORA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: MNEMORA_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=2, help="processes (gunicorn)")
    serve.add_argument("--threads", type=int, default=8, help="threads per process")
    serve.add_argument("--server", choices=["auto", "gunicorn", "waitress"], default="auto")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="create or upgrade store schemas").set_defaults(func=cmd_migrate)

    tenants = sub.add_parser("tenants", help="manage tenants")
    tsub = tenants.add_subparsers(dest="action", required=True)
    create = tsub.add_parser("create")
    create.add_argument("tenant_id")
    create.add_argument("--tier", default="free")
    create.add_argument("--limits", help="JSON overrides, e.g. '{\"calls_per_day\": 100}'")
    create.add_argument("--with-key", action="store_true", help="also issue a key and print it")
    create.add_argument("--if-missing", action="store_true", help="do nothing if it exists")
    tsub.add_parser("list")
    for action in ("show", "delete"):
        tsub.add_parser(action).add_argument("tenant_id")
    tenants.set_defaults(func=cmd_tenants)

    keys = sub.add_parser("keys", help="manage API keys")
    ksub = keys.add_subparsers(dest="action", required=True)
    kcreate = ksub.add_parser("create")
    kcreate.add_argument("tenant_id")
    kcreate.add_argument("--scope", choices=["read_write", "read_only"], default="read_write")
    kcreate.add_argument("--expires-at", help="ISO 8601 expiry")
    ksub.add_parser("list").add_argument("tenant_id")
    ksub.add_parser("revoke").add_argument("key_id")
    keys.set_defaults(func=cmd_keys)

    tier = sub.add_parser("tier-episodes", help="move old episodes to the cold tier")
    tier.add_argument(
        "--every",
        type=float,
        default=0.0,
        help="repeat every this many seconds (default: run once)",
    )
    tier.set_defaults(func=cmd_tier_episodes)

    indexes = sub.add_parser(
        "index-tenants", help="give large tenants their own vector index (PostgreSQL)"
    )
    indexes.add_argument(
        "--min-vectors", type=int, help="vectors from which a tenant gets its own index (5000)"
    )
    indexes.set_defaults(func=cmd_index_tenants)
    export = sub.add_parser("export", help="export a tenant's memory as NDJSON")
    export.add_argument("tenant_id")
    export.add_argument("--agent-id")
    export.add_argument(
        "--output",
        "-o",
        help="a file, or s3://bucket/key[.gz]?region=..&endpoint_url=.. (default: stdout)",
    )
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser("import", help="import an NDJSON export into a tenant")
    imp.add_argument("tenant_id")
    imp.add_argument("input", help="the NDJSON file, or s3://bucket/key[.gz]?...")
    imp.set_defaults(func=cmd_import)

    usage = sub.add_parser("usage", help="show a tenant's usage")
    usage.add_argument("tenant_id")
    usage.add_argument(
        "--daily", type=int, metavar="DAYS", help="usage per day over the last DAYS days"
    )
    usage.set_defaults(func=cmd_usage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mnemora-server``."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MnemoraServerError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
