"""Languages: Vietnamese by default, English on request, remembered in a cookie and the profile."""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from core.clock import local_zone
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


def format_number(
    value, digits: int | None = None, locale: str | None = None, *, grouped: bool = True
) -> str:
    """Write a number the reader's way: 1234.5 → "1.234,5" in Vietnamese, "1,234.5" in English.

    Up to two decimals, or exactly ``digits``. ``locale`` for documents written in one language
    whoever asks for them (the Vietnamese PDF reports); by default the request's language.
    ``grouped=False`` leaves out thousands separators: for a value put back into a form field,
    which must read "1000,5" back, not "1.000,5".
    """
    if value is None:
        return ""
    whole = "#,##0" if grouped else "0"
    pattern = whole + (".##" if digits is None else ("." + "0" * digits if digits else ""))
    if locale is None:
        return format_decimal(value, format=pattern)
    return babel_format_decimal(value, format=pattern, locale=locale)


#: How a date reads in each language (Babel patterns): "05/01/2025" in Vietnamese, "Jan 5, 2025"
#: in English. A time goes first in Vietnamese ("14:30 05/01/2025"), as CLDR writes it.
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "MMM d, yyyy"}
DATETIME_PATTERNS = {"vi": "{time} {date}", "en": "{date}, {time}"}


def format_when(
    value: datetime | date | None,
    *,
    time: bool = True,
    seconds: bool = False,
    locale: str | None = None,
) -> str:
    """Write a date or moment the reader's way, in the district's zone (Asia/Ho_Chi_Minh).

    ``locale`` for files written in one language whoever asks for them (the Vietnamese
    workbooks and reports); by default the request's language. A ``date`` prints without a time.
    """
    if value is None:
        return ""
    language = locale or str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    language = language.split("_")[0]
    day = DATE_PATTERNS.get(language, DATE_PATTERNS["en"])
    if not isinstance(value, datetime):
        return babel_format_date(value, day, locale=language)
    if value.tzinfo is None:  # stored moments are UTC
        value = value.replace(tzinfo=UTC)
    if not time:
        return babel_format_date(value.astimezone(local_zone()).date(), day, locale=language)
    clock = "HH:mm:ss" if seconds else "HH:mm"
    joined = DATETIME_PATTERNS.get(language, DATETIME_PATTERNS["en"])
    pattern = joined.format(date=day, time=clock)
    return babel_format_datetime(value, pattern, tzinfo=local_zone(), locale=language)


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
    def _datetime(value, fmt=None):
        if fmt is None:
            return format_when(value)
        return format_datetime(value, fmt) if value else ""

    app.add_template_filter(format_number, "number")

    @app.template_filter("date")
    def _date(value, fmt=None):
        if fmt is None:
            return format_when(value, time=False)
        return format_date(value, fmt) if value else ""
