"""PostgreSQL plumbing: a connection pool, tenant-scoped transactions, versioned migrations.

The server connects as an application role that owns no table. Every tenant table has
``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` with a policy on ``current_setting('app.tenant_id')``,
which each transaction sets with ``set_config(..., true)`` before anything else; queries also
filter on ``tenant_id`` themselves. So a query that forgot its filter still sees one tenant.
Migrations run with an administrator connection (``mnemora-server migrate``), which also
creates the application role.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from mnemora_server.errors import UnavailableError

APP_ROLE = "mnemora_app"


def tenant_policy_sql(table: str) -> list[Any]:
    """Statements that put ``table`` under row-level security by ``app.tenant_id``."""
    from psycopg import sql

    name = sql.Identifier(table)
    role = sql.Identifier(APP_ROLE)
    return [
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name),
        sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(name),
        sql.SQL(
            "CREATE POLICY tenant_isolation ON {}"
            " USING (tenant_id = current_setting('app.tenant_id', true))"
            " WITH CHECK (tenant_id = current_setting('app.tenant_id', true))"
        ).format(name),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(name, role),
    ]


#: How long one statement of a request may run (unless the URL's ``options`` say otherwise).
STATEMENT_TIMEOUT_MS = 10_000


class PostgresDatabase:
    """One PostgreSQL database used by one store.

    Args:
        url: The application role's connection URL (``postgresql://...``).
        name: The store's name, which keys its migrations.
        migrations: Lists of SQL statements; list ``i`` brings the store to version ``i + 1``.
        admin_url: An administrator's URL for migrations (default: ``url``).
    """

    def __init__(
        self,
        url: str,
        name: str,
        migrations: Sequence[Sequence[Any]],
        *,
        admin_url: str | None = None,
    ) -> None:
        if urlparse(url).scheme not in ("postgresql", "postgres"):
            raise ValueError(f"not a postgresql URL: {url!r}")
        self._url = url
        self._admin_url = admin_url or url
        self._name = name
        self._migrations = [list(m) for m in migrations]
        self._pool: Any = None
        self._lock = threading.Lock()

    def _get_pool(self) -> Any:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from psycopg_pool import ConnectionPool

                    # Checking each connection on checkout costs one round trip and means a
                    # restarted server is used again at once instead of failing requests.
                    kwargs: dict[str, Any] = {"autocommit": False, "connect_timeout": 5}
                    if "statement_timeout" not in self._url:
                        # A statement stuck behind a lock or a runaway scan is cancelled (503)
                        # instead of holding the request; the URL's ``options`` may set others.
                        kwargs["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                    self._pool = ConnectionPool(
                        self._url,
                        min_size=1,
                        max_size=16,
                        open=True,
                        timeout=3,
                        check=ConnectionPool.check_connection,
                        kwargs=kwargs,
                    )
        return self._pool

    @contextmanager
    def transaction(self, tenant_id: str | None) -> Iterator[Any]:
        """A cursor in one transaction, scoped to ``tenant_id`` by row-level security.

        Raises:
            UnavailableError: The database failed; the transaction was rolled back.
        """
        import psycopg

        try:
            with self._get_pool().connection() as conn, conn.transaction(), conn.cursor() as cur:
                if tenant_id is not None:
                    cur.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
                yield cur
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise UnavailableError("PostgreSQL failed; nothing was written") from exc
        except psycopg.errors.InsufficientPrivilege as exc:
            raise UnavailableError("PostgreSQL refused the operation") from exc
        except Exception as exc:
            from psycopg_pool import PoolTimeout

            if isinstance(exc, PoolTimeout):
                raise UnavailableError("PostgreSQL is unreachable") from exc
            raise

    def setup(self) -> None:
        """Create the application role and apply pending migrations (administrator URL)."""
        import psycopg

        try:
            with psycopg.connect(self._admin_url, autocommit=True) as admin:
                admin.execute(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mnemora_app')"
                    " THEN CREATE ROLE mnemora_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                    " NOBYPASSRLS; END IF; END $$"
                )
                self._set_app_password(admin)
                admin.execute("CREATE EXTENSION IF NOT EXISTS vector")
                admin.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations"
                    " (store text NOT NULL, version int NOT NULL, PRIMARY KEY (store, version))"
                )
                with admin.transaction():
                    admin.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._name,))
                    done = {
                        row[0]
                        for row in admin.execute(
                            "SELECT version FROM schema_migrations WHERE store = %s",
                            (self._name,),
                        )
                    }
                    for version, statements in enumerate(self._migrations, start=1):
                        if version in done:
                            continue
                        for statement in statements:
                            admin.execute(statement)
                        admin.execute(
                            "INSERT INTO schema_migrations (store, version) VALUES (%s, %s)",
                            (self._name, version),
                        )
        except psycopg.Error as exc:
            raise UnavailableError(f"PostgreSQL migration of {self._name} failed: {exc}") from exc

    def _set_app_password(self, admin: Any) -> None:
        """Give the application role the password its URL carries (when it carries one, and
        the administrator connects as another role): the role authenticates like any other
        login on a managed cluster (Aurora)."""
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict

        app = conninfo_to_dict(self._url)
        password = app.get("password")
        if not password or app.get("user") != APP_ROLE:
            return
        if conninfo_to_dict(self._admin_url).get("user") == APP_ROLE:
            return
        admin.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(str(password))
            )
        )

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless the database answers."""
        with self.transaction(None) as cur:
            cur.execute("SELECT 1")

    def close(self) -> None:
        """Close the pool."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
