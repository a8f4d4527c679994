{% include "header.py" %}
"""The application: routers, problem+json errors, the committed contract and its docs."""

import html
import json
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from app import config, db, errors, models
{% if api.auth %}
from app.auth import router as auth_router
{% endif %}
from app.routers import ROUTERS

#: The contract this service implements, served as is at /openapi.json.
CONTRACT = Path(__file__).resolve().parent.parent / "openapi.json"
TITLE = {{ api.title | pystr }}
#: Swagger UI and ReDoc (bundled by the fastapi-offline package), served by the app itself
#: at /docs/assets so the docs work without network access.
DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"


@asynccontextmanager
async def lifespan(_app: FastAPI):
    """Creates missing tables on startup when configured (SQLite development default)."""
    if config.create_tables():
        models.Base.metadata.create_all(db.engine)
    yield


def create_app() -> FastAPI:
    """Builds the FastAPI application."""
    app = FastAPI(
        title=TITLE,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    contract = CONTRACT.read_bytes()
    document = json.loads(contract)
    errors.install(app, document)
{% if api.auth %}
    app.include_router(auth_router)
{% endif %}
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> Response:
        return Response(contract, media_type="application/json")

    install_docs(app, document)
    return app


def _root_path(request: Request) -> str:
    """The path prefix the app is served under ("" at the root), without a final slash."""
    return request.scope.get("root_path", "").rstrip("/")


def install_docs(app: FastAPI, contract: dict) -> None:
    """Swagger UI at /docs and ReDoc at /redoc, from local assets only, for the contract
    with one relative server: "Try it out" calls wherever the page was loaded from (any
    host, port or path prefix such as uvicorn's --root-path). /openapi.json is unchanged.
    None of these routes is in the contract; registered last, the API's routes win a clash.
    """
    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    title = html.escape(TITLE)

    @app.get("/docs/openapi.json", include_in_schema=False)
    def docs_openapi_json(request: Request) -> JSONResponse:
        root = _root_path(request)
        return JSONResponse({**contract, "servers": [{"url": root or "/"}]})

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}/docs/openapi.json",
            title=title,
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon.png",
            # No badge from the online validator (validator.swagger.io).
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_redoc_html(
            openapi_url=f"{root}/docs/openapi.json",
            title=title,
            redoc_js_url=f"{root}/docs/assets/redoc.standalone.js",
            redoc_favicon_url=f"{root}/docs/assets/favicon.png",
            with_google_fonts=False,
        )


app = create_app()
