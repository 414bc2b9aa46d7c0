"""The API's own documents, behind a key: the OpenAPI schema, Swagger UI and ReDoc.

They describe every route, so they are not public (any role may read them). A browser sends
no key, so the pages are for a server started with ``--insecure-no-auth`` on loopback; with
keys, fetch the schema: ``curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/openapi.json``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from leadflow.api.auth import allow
from leadflow.auth.keys import SERVICE_READ

router = APIRouter(include_in_schema=False, dependencies=[allow(SERVICE_READ, "docs.read")])


@router.get("/openapi.json")
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{request.app.title} - API")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title=f"{request.app.title} - API")
