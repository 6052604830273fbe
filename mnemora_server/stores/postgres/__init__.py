"""Production stores on PostgreSQL/Aurora: semantic memory (pgvector) and procedural memory.

The server connects as an application role that owns no table; every table is under
row-level security by ``app.tenant_id`` besides the ``tenant_id`` filter of each query.
"""
