"""District, schools and classes: the models and services every package builds on.

The school pages are in ``core.accounts.school_pages`` (they need accounts' roles and counts); they
are registered, with their navigation entries, by ``core.accounts``.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register: schools bring models and services, no pages of their own."""
