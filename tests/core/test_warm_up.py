"""app.warm_up: what gunicorn's master loads before forking, for the workers to share."""

from __future__ import annotations

from app import warm_up


def test_warm_up_compiles_every_page(app):
    warm_up(app)

    names = app.jinja_loader.list_templates()
    cached = {key[1] for key in app.jinja_env.cache}
    assert len(names) > 50
    assert set(names) <= cached
