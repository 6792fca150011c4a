"""WSGI entry point for gunicorn and ``flask``."""

from core import create_app

app = create_app()
