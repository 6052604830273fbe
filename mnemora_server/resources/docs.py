"""Interactive API documentation at ``/docs`` (Swagger UI, served from the installed
``swagger-ui-py`` package: no CDN, works offline), and ``GET /`` pointing at it."""

from __future__ import annotations

from pathlib import Path

import falcon

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Mnemora API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/v1/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"""


def swagger_ui_assets() -> Path | None:
    """The directory of Swagger UI's files in the installed ``swagger-ui-py`` package, or
    ``None`` where it is not installed (the AWS Lambda build, behind API Gateway, leaves the
    interactive documentation out)."""
    try:
        from swagger_ui.utils import SWAGGER_UI_PY_ROOT
    except ImportError:
        return None
    return Path(SWAGGER_UI_PY_ROOT) / "static"


class DocsResource:
    """``GET /docs``: Swagger UI over ``/v1/openapi.json`` (Authorize with a key to try it)."""

    auth = "public"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The documentation page."""
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _PAGE


class RootResource:
    """``GET /``: where things are (a browser is sent to ``/docs``)."""

    auth = "public"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Point at the documentation, the OpenAPI document and the health check."""
        if req.client_prefers([falcon.MEDIA_JSON, falcon.MEDIA_HTML]) == falcon.MEDIA_HTML:
            raise falcon.HTTPFound("/docs")
        resp.media = {
            "data": {
                "name": "Mnemora",
                "docs": "/docs",
                "openapi": "/v1/openapi.json",
                "health": "/v1/health",
            }
        }
