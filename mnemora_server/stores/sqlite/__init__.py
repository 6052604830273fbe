"""The embedded default: SQLite databases in the data directory."""
