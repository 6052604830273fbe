"""The SQLite schema of checkpoints: checkpoints, channel blobs, pending writes, and per-agent
totals (checkpoints and bytes) kept by triggers."""

from __future__ import annotations

_SIZE_CHECKPOINT = "(LENGTH(CAST({row}.checkpoint AS BLOB)) + LENGTH(CAST({row}.metadata AS BLOB)))"


def _totals_triggers(table: str, size: str, counts: bool) -> str:
    """Triggers that keep ``checkpoint_totals`` in step with one table."""
    checkpoints = "1" if counts else "0"
    new, old = size.format(row="NEW"), size.format(row="OLD")
    # The names come from this module only (no input reaches them).
    return f"""
    CREATE TRIGGER {table}_totals_on_insert AFTER INSERT ON {table} BEGIN
        INSERT INTO checkpoint_totals (tenant_id, agent_id) VALUES (NEW.tenant_id, NEW.agent_id)
            ON CONFLICT DO NOTHING;
        UPDATE checkpoint_totals SET checkpoints = checkpoints + {checkpoints},
            bytes = bytes + {new}
        WHERE tenant_id = NEW.tenant_id AND agent_id = NEW.agent_id;
    END;
    CREATE TRIGGER {table}_totals_on_delete AFTER DELETE ON {table} BEGIN
        UPDATE checkpoint_totals SET checkpoints = checkpoints - {checkpoints},
            bytes = bytes - {old}
        WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
    END;
    CREATE TRIGGER {table}_totals_on_update AFTER UPDATE ON {table} BEGIN
        UPDATE checkpoint_totals SET bytes = bytes - {old} + {new}
        WHERE tenant_id = NEW.tenant_id AND agent_id = NEW.agent_id;
    END;
    """  # noqa: S608


MIGRATIONS = (
    """
    CREATE TABLE checkpoints (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL,
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        checkpoint TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id)
    );
    CREATE INDEX checkpoints_newest ON checkpoints (tenant_id, agent_id, checkpoint_id);
    CREATE TABLE checkpoint_blobs (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL,
        channel TEXT NOT NULL,
        version TEXT NOT NULL,
        type TEXT NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (tenant_id, agent_id, thread_id, checkpoint_ns, channel, version)
    );
    CREATE TABLE checkpoint_writes (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL,
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        data BLOB NOT NULL,
        task_path TEXT NOT NULL,
        UNIQUE (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    );
    CREATE TABLE checkpoint_totals (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        checkpoints INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, agent_id)
    ) WITHOUT ROWID;
    """
    + _totals_triggers("checkpoints", _SIZE_CHECKPOINT, counts=True)
    + _totals_triggers("checkpoint_blobs", "LENGTH({row}.data)", counts=False)
    + _totals_triggers("checkpoint_writes", "LENGTH({row}.data)", counts=False)
    .rstrip()
    .rstrip(";"),
)
