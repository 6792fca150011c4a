"""WSGI entry point for gunicorn and ``flask``."""

from app import create_app

app = create_app()
