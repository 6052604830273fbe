"""The embedded default: SQLite databases in the data directory, and an in-process vector
index, for every store but the cold tier (which is :mod:`mnemora_server.stores.objects.files`)."""
