{% include "header.py" %}
"""The application: routers, problem+json errors, the committed contract and its docs."""

import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from app import config, db, errors, models
{% if api.auth %}
from app.auth import router as auth_router
{% endif %}
from app.routers import ROUTERS

#: The contract this service implements, served as is at /openapi.json.
CONTRACT = Path(__file__).resolve().parent.parent / "openapi.json"
TITLE = {{ api.title | pystr }}


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
    errors.install(app, json.loads(contract))
{% if api.auth %}
    app.include_router(auth_router)
{% endif %}
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> Response:
        return Response(contract, media_type="application/json")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=TITLE)

    return app


app = create_app()
