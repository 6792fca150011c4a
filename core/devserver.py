"""``flask dev``: the development server, with the scheduler running inside."""

from __future__ import annotations

import click
from flask import Flask, current_app
from werkzeug.serving import run_simple

from core.scheduler import start_embedded


@click.command("dev")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def dev_command(host: str, port: int) -> None:
    """Serve the site for development, with the scheduler running inside."""
    app = current_app._get_current_object()
    start_embedded(app)
    click.echo(f"Mạng Xanh: http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(dev_command)
