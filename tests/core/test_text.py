import pytest

from core.errors import ValidationFailed
from core.text import clean_text


def test_clean_text_keeps_paragraphs_and_drops_control_characters(app):
    text = clean_text("Ðoạn\x07 một  \r\n\r\n\r\n\r\nĐoạn hai\t", limit=100, field="body")

    assert text == "Ðoạn một\n\nĐoạn hai"


def test_clean_text_single_line_folds_white_space(app):
    assert clean_text("  Tiêu \n đề  ", limit=100, field="title", single_line=True) == "Tiêu đề"


def test_clean_text_refuses_text_over_the_limit_beside_its_field(app):
    with app.test_request_context(), pytest.raises(ValidationFailed) as raised:
        clean_text("x" * 11, limit=10, field="reason")

    assert raised.value.field == "reason"
