"""The per-customer support agent: one bot, many customers, each with its own knowledge
base, conversations and ticket state, kept apart by their Mnemora keys.

Run ``python -m examples.support_agent --help``; the README beside this file has the
three-minute path.
"""
