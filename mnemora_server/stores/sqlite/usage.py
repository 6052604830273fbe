"""Usage counters and burst windows of the embedded accounts database.

Counting a call and checking its limits happen in one write transaction, so counters stay
exact with any number of threads and processes on the machine.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from mnemora_server.stores.base import CallDecision, UsageCounters, UsageDay
from mnemora_server.stores.sqlite.database import SqliteDatabase


class SqliteUsageCounters:
    """:class:`~mnemora_server.stores.base.UsageStore` operations over ``self.db``."""

    db: SqliteDatabase

    def record_call(
        self, tenant_id: str, now: float, *, calls_per_day: int, burst_per_second: int
    ) -> CallDecision:
        """Count one call and decide whether it is within the daily and burst limits."""
        today = UsageDay.of(now)
        with self.db.write() as conn:
            burst = conn.execute(
                "INSERT INTO burst_windows (tenant_id, window_second, calls) VALUES (?, ?, 1)"
                " ON CONFLICT (tenant_id) DO UPDATE SET"
                " calls = CASE WHEN window_second = excluded.window_second THEN calls + 1 ELSE 1"
                " END, window_second = excluded.window_second RETURNING calls",
                (tenant_id, today.second),
            ).fetchone()[0]
            row = conn.execute(
                "SELECT value FROM usage_daily WHERE tenant_id = ? AND day = ? AND counter = ?",
                (tenant_id, today.day, "accepted"),
            ).fetchone()
            accepted = int(row[0]) if row else 0
            refused: Literal["daily", "burst"] | None = None
            if accepted >= calls_per_day:
                refused = "daily"
            elif burst > burst_per_second:
                refused = "burst"
            _bump(conn, tenant_id, today.day, "calls", 1)
            _bump(conn, tenant_id, today.day, "accepted" if refused is None else "rejected", 1)
        if refused is None:
            accepted += 1
        return today.decision(refused, accepted=accepted, calls_per_day=calls_per_day)

    def add(self, tenant_id: str, counter: str, amount: int, now: float) -> None:
        """Add ``amount`` to a named daily counter."""
        with self.db.write() as conn:
            _bump(conn, tenant_id, UsageDay.of(now).day, counter, amount)

    def counters(self, tenant_id: str, now: float) -> UsageCounters:
        """The tenant's counters for the day and month containing ``now``."""
        today = UsageDay.of(now)
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT day, counter, value FROM usage_daily"
                " WHERE tenant_id = ? AND day >= ? AND day < ?",
                (tenant_id, today.month + "00", today.month + "99"),
            ).fetchall()
        return today.counters((str(day), str(counter), int(value)) for day, counter, value in rows)

    def set_gauge(self, tenant_id: str, gauge: str, value: int, now: float) -> None:
        """Replace today's value of a named gauge."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO usage_daily (tenant_id, day, counter, value) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (tenant_id, day, counter) DO UPDATE SET value = excluded.value",
                (tenant_id, UsageDay.of(now).day, gauge, value),
            )

    def daily(self, tenant_id: str, first_day: str) -> list[tuple[str, str, int]]:
        """Every counter and gauge of the tenant from ``first_day`` on, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT day, counter, value FROM usage_daily WHERE tenant_id = ? AND day >= ?"
                " ORDER BY day, counter",
                (tenant_id, first_day),
            ).fetchall()
        return [(str(day), str(counter), int(value)) for day, counter, value in rows]


def _bump(conn: sqlite3.Connection, tenant_id: str, day: str, counter: str, amount: int) -> None:
    conn.execute(
        "INSERT INTO usage_daily (tenant_id, day, counter, value) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, day, counter) DO UPDATE SET value = value + excluded.value",
        (tenant_id, day, counter, amount),
    )
