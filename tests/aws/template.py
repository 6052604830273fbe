"""The SAM template, read as CloudFormation reads it (tags such as ``!Ref`` kept)."""

from __future__ import annotations

from typing import Any

from cfnlint.decode import cfn_yaml

from tests.conftest import ROOT

TEMPLATE = ROOT / "deploy" / "aws" / "template.yaml"


def load_template() -> dict[str, Any]:
    """The template as a dict (intrinsic functions as ``{"Ref": ...}`` etc.)."""
    template: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return template


def authorizer_cache_seconds() -> int:
    """The authorizer cache TTL the template deploys with (its parameter's default)."""
    return int(load_template()["Parameters"]["AuthorizerCacheSeconds"]["Default"])
