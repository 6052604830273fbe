"""Thin Falcon resources: validate, call a service, serialise."""
