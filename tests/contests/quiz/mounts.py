"""Fixtures of the small applications mounted in front of the full one (core.mounts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import request, request_started

from core.mounts import Mount


def counted_mount(app, module) -> Iterator[Mount]:
    """The mount of ``module``'s small application, its counters at zero for the test."""
    found = app.wsgi_app
    while isinstance(found, Mount) and found.small.import_name != module.__name__:
        found = found.wrapped
    assert isinstance(found, Mount), f"{module.__name__} is not mounted"
    before = (found.served, found.passed)
    found.served = found.passed = 0
    yield found
    found.served, found.passed = before


@pytest.fixture
def full_requests(app) -> Iterator[list[str]]:
    """The paths of the requests the full application dispatched."""
    seen: list[str] = []

    def record(sender, **extra):
        seen.append(request.path)

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)
