"""Storage backends behind the protocols of :mod:`mnemora_server.stores.base`."""
