"""Campaigns and what hangs on them outside the contests: news, the green network movement and
the safety corner. Each room registers itself with the kernel from its own ``init_app``."""

from __future__ import annotations

from flask import Flask

from campaign import campaigns, documents, greennet, inspections, news, safety


def init_app(app: Flask) -> None:
    """Register the campaign packages (each adds its own blueprints, navigation and jobs)."""
    campaigns.init_app(app)
    news.init_app(app)
    safety.init_app(app)
    greennet.init_app(app)
    documents.init_app(app)
    inspections.init_app(app)
