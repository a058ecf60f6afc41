"""Command ``serve``: the REST API and the dashboard (magwatch.web) with uvicorn."""

from __future__ import annotations

import typer

from magwatch.cli import app, state
from magwatch.config import resolve_db_path
from magwatch.errors import ParameterError, StoreError


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to bind (default loopback only)"),
          port: int = typer.Option(8000, help="TCP port"),
          log_level: str = typer.Option("info", "--log-level", help="uvicorn log level")) -> None:
    """Serve the REST API (/api/v1/, /openapi.json) and the dashboard on HOST:PORT.

    Reading is open on the bound address; writing needs MAGWATCH_TOKEN (off when unset).
    """
    if not 0 < port < 65536:
        raise ParameterError("port", f"expected 1..65535, got {port}")
    path = resolve_db_path(state["db"])
    if not path.exists():
        raise StoreError(f"store {path} does not exist; run 'magwatch load' first")
    import uvicorn

    from magwatch.web.app import create_app

    typer.echo(f"magwatch serving {path} on http://{host}:{port}/ (API docs: /api/docs)")
    # Idle connections stay open longer than clients keep them (httpx: 5 s), so a
    # request is never sent on a connection the server is closing.
    uvicorn.run(create_app(path), host=host, port=port, log_level=log_level, timeout_keep_alive=30)
