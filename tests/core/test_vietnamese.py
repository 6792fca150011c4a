"""Natural Vietnamese: WTForms' own messages, how students are addressed, numbers and dates."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from core.accounts import services as accounts
from core.auth.forms import LoginForm

ROOT = Path(__file__).resolve().parents[2]


def test_required_field_error_is_vietnamese(client):
    response = client.post("/login", data={"username": "", "password": ""})

    html = response.get_data(as_text=True)
    assert "Vui lòng điền mục này." in html
    assert "This field is required." not in html


def test_length_error_is_vietnamese(app):
    with app.test_request_context(method="POST"):
        app.preprocess_request()
        form = LoginForm(formdata=MultiDict({"username": "x" * 81, "password": "p"}))

        assert form.validate() is False
        assert form.username.errors == ["Không được dài quá 80 ký tự."]


def test_form_errors_stay_english_for_english_readers(client):
    client.set_cookie("mx_lang", "en")

    response = client.post("/login", data={"username": "", "password": ""})

    assert "This field is required." in response.get_data(as_text=True)


#: "bạn" as a pronoun for the reader; "các bạn", "một bạn", "bạn bè", "bạn cùng lớp" name others.
READER_AS_BAN = re.compile(r"(?<!các )(?<!một )(?<!những )\b[Bb]ạn\b(?! bè)(?! cùng)(?! nhỏ)")


def test_no_page_calls_the_reader_ban():
    """Students are "em", staff "thầy/cô" or nobody: no catalog calls its reader "bạn"."""
    found = []
    for po in sorted((ROOT / "translations").glob("*/vi/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale="vi")
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            found += [s for s in strings if s and READER_AS_BAN.search(s)]

    assert found == []


def test_student_is_welcomed_as_em_after_activation(app, client, make, db):
    student = make.student(password=None)
    with app.test_request_context():
        code = accounts.issue_activation_code(user=student)
    db.session.flush()

    client.post(
        "/activate",
        data={
            "username": student.username,
            "code": code,
            "new_password": "mat-khau-rieng",
            "confirm": "mat-khau-rieng",
        },
    )

    assert "Đã đặt mật khẩu. Chào mừng em!" in client.get("/").get_data(as_text=True)


def test_numbers_have_a_decimal_comma_in_vietnamese(app):
    with app.test_request_context():
        app.preprocess_request()

        assert render_template_string("{{ 1234.5|number }} {{ 7|number }} {{ 0.5|number(2) }}") == (
            "1.234,5 7 0,50"
        )


def test_numbers_have_a_decimal_point_in_english(app):
    with app.test_request_context(headers={"Cookie": "mx_lang=en"}):
        app.preprocess_request()

        assert render_template_string("{{ 1234.5|number }}") == "1,234.5"
