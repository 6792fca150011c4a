"""Languages: Vietnamese by default, English on request, remembered in a cookie and the profile."""

from __future__ import annotations

from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from core.extensions import babel
from core.form_messages import TRANSLATIONS as FORM_TRANSLATIONS

LOCALE_COOKIE = "mx_lang"


def select_locale() -> str:
    """Pick the language: the user's saved choice, then the cookie, then Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def format_number(value, digits: int | None = None, locale: str | None = None) -> str:
    """Write a number the reader's way: 1234.5 → "1.234,5" in Vietnamese, "1,234.5" in English.

    Up to two decimals, or exactly ``digits``. ``locale`` for documents written in one language
    whoever asks for them (the Vietnamese PDF reports); by default the request's language.
    """
    if value is None:
        return ""
    pattern = "#,##0.##" if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    if locale is None:
        return format_decimal(value, format=pattern)
    return babel_format_decimal(value, format=pattern, locale=locale)


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.before_request
    def _form_messages_from_our_catalog():
        # Flask-WTF looks here before loading WTForms' own catalogs, which lack Vietnamese.
        request.wtforms_translations = FORM_TRANSLATIONS

    @app.context_processor
    def _locale():
        return {"get_locale": get_locale}

    @app.template_filter("datetime")
    def _datetime(value, fmt="HH:mm dd/MM/yyyy"):
        return format_datetime(value, fmt) if value else ""

    app.add_template_filter(format_number, "number")

    @app.template_filter("date")
    def _date(value, fmt="dd/MM/yyyy"):
        return format_date(value, fmt) if value else ""
