"""Pydantic models of request and response bodies: validation and the OpenAPI document."""
