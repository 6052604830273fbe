"""The SQLite schema of long-term store items: items, the order namespaces were created in,
indexed fields' vectors (read by the in-process vector index through a change sequence, as
semantic memory's are), and per-agent totals kept by triggers."""

from __future__ import annotations

MIGRATIONS = (
    """
    CREATE TABLE items (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        expires_at REAL,
        ttl_minutes REAL,
        UNIQUE (tenant_id, agent_id, namespace, key)
    );
    CREATE INDEX items_expiry ON items (tenant_id, agent_id, expires_at)
        WHERE expires_at IS NOT NULL;
    CREATE TABLE item_namespaces (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, namespace)
    ) WITHOUT ROWID;
    CREATE TABLE item_vectors (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        item_key TEXT NOT NULL,
        field TEXT NOT NULL,
        metadata TEXT NOT NULL,
        embedding BLOB,
        deleted_at REAL,
        seq INTEGER NOT NULL,
        UNIQUE (tenant_id, agent_id, id)
    );
    CREATE INDEX item_vectors_changes ON item_vectors (tenant_id, agent_id, seq);
    CREATE INDEX item_vectors_of_item ON item_vectors (tenant_id, agent_id, namespace, item_key);
    CREATE TABLE item_partitions (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, agent_id)
    ) WITHOUT ROWID;
    CREATE TABLE item_sequence (value INTEGER NOT NULL);
    INSERT INTO item_sequence (value) VALUES (0);
    CREATE TABLE item_totals (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        items INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, agent_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER items_totals_on_insert AFTER INSERT ON items BEGIN
        INSERT INTO item_totals (tenant_id, agent_id) VALUES (NEW.tenant_id, NEW.agent_id)
            ON CONFLICT DO NOTHING;
        UPDATE item_totals SET items = items + 1, bytes = bytes + LENGTH(CAST(NEW.value AS BLOB))
        WHERE tenant_id = NEW.tenant_id AND agent_id = NEW.agent_id;
    END;
    CREATE TRIGGER items_totals_on_delete AFTER DELETE ON items BEGIN
        UPDATE item_totals SET items = items - 1, bytes = bytes - LENGTH(CAST(OLD.value AS BLOB))
        WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
    END;
    CREATE TRIGGER items_totals_on_update AFTER UPDATE OF value ON items BEGIN
        UPDATE item_totals SET bytes = bytes - LENGTH(CAST(OLD.value AS BLOB))
            + LENGTH(CAST(NEW.value AS BLOB))
        WHERE tenant_id = NEW.tenant_id AND agent_id = NEW.agent_id;
    END
    """,
)
