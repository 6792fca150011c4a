"""Judges never reach the author: masking names, schools and classes, and the judge payload."""

from __future__ import annotations

import re

import pytest

from contests.essay import services
from contests.essay.anonymity import judge_payload, mask_text
from demo.district import SCHOOLS
from demo.essay import load_demo_essays
from tests.conftest import T0
from tests.contests.essay.conftest import image_bytes

DISTRICT_SCHOOLS = [name for _code, name, *_ in SCHOOLS]
ESSAYS = load_demo_essays()
WITH_MENTIONS = [e for e in ESSAYS if e["mentions"]]
WITHOUT_MENTIONS = [e for e in ESSAYS if not e["mentions"]]


def appears(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def test_demo_set_has_six_essays_with_mentions():
    assert [e["key"] for e in WITH_MENTIONS] == ["e02", "e09", "e15", "e21", "e27", "e33"]


@pytest.mark.parametrize("essay", WITH_MENTIONS, ids=lambda e: e["key"])
def test_mask_text_hides_every_mention_in_demo_essays(essay):
    # Only the author's own name is known; everyone else must be caught by the patterns.
    masked = mask_text(essay["body"], names=[essay["mentions"][0]], schools=DISTRICT_SCHOOLS)

    assert [m for m in essay["mentions"] if appears(m, masked)] == []
    assert "[tên]" in masked
    assert "[trường]" in masked
    assert "[lớp]" in masked


@pytest.mark.parametrize("essay", WITHOUT_MENTIONS, ids=lambda e: e["key"])
def test_mask_text_leaves_essays_without_mentions_unchanged(essay):
    for field in ("title", "body", "caption"):
        assert mask_text(essay[field], schools=DISTRICT_SCHOOLS) == essay[field]


def test_mask_text_examples():
    text = (
        "Em là Nguyễn Thị Mai, học lớp 7A2 trường THCS Dương Xá. Bạn Khôi ngồi cạnh em. "
        "Trần Minh Khôi rất giỏi. Sau đó Khôi cảm ơn em. Cô Hòa dạy Văn. Anh ấy sống ở "
        "Việt Nam, gần Dương Xá. Mạng 4G ở Hồ Chí Minh rất nhanh; lớp 9A3 và 6A1 đều biết."
    )

    masked = mask_text(text, schools=DISTRICT_SCHOOLS)

    assert masked == (
        "Em là [tên], học lớp [lớp] trường [trường]. Bạn [tên] ngồi cạnh em. "
        "[tên] rất giỏi. Sau đó [tên] cảm ơn em. Cô [tên] dạy Văn. Anh ấy sống ở "
        "Việt Nam, gần [nơi]. Mạng 4G ở Hồ Chí Minh rất nhanh; lớp [lớp] và [lớp] đều biết."
    )


def test_mask_text_known_classmate_after_form_of_address():
    masked = mask_text("Hôm ấy bạn Bình An giúp em.", names=["Lê Bình An"])

    assert masked == "Hôm ấy bạn [tên] giúp em."


def test_judge_payload_has_no_author_school_or_class(make, open_round):
    school = make.school(name="Trường THCS Kiêu Kỵ")
    cls = make.school_class(school, name="9A1")
    author = make.student(cls, full_name="Đỗ Khánh Linh")
    make.student(cls, full_name="Vũ Đức Anh")
    essay = next(e for e in ESSAYS if e["key"] == "e27")
    entry = services.start_entry(round_=open_round, student=author, now=T0)
    services.save_draft(entry=entry, title=essay["title"], body=essay["body"], seq=1, now=T0)
    services.upload_photo(
        entry=entry, data=image_bytes(), caption="Em và bạn Đức Anh ở THCS Kiêu Kỵ", now=T0
    )

    payload = judge_payload(entry)

    assert set(payload) == {"code", "round_id", "title", "body", "word_count", "photos"}
    assert payload["code"] == entry.code
    flat = repr(payload)
    for secret in [*essay["mentions"], "Kiêu Kỵ", "9A1", author.username]:
        assert not appears(secret, flat), secret
    assert payload["photos"][0]["caption"] == "Em và bạn [tên] ở [trường]"


@pytest.mark.parametrize(
    ("name", "consent", "shown"),
    [
        ("Nguyễn Văn An", False, "Nguyễn V. A."),
        ("Nguyễn Văn An", True, "Nguyễn Văn An"),
        ("Lê Thị Thu Hà", False, "Lê T. T. H."),
    ],
)
def test_public_name_masks_without_consent(name, consent, shown):
    from contests.essay.anonymity import public_name

    assert public_name(name, consent=consent) == shown


def test_anonymous_pdf_bundle_writes_only_masked_text(monkeypatch, make, make_round):
    from fpdf import FPDF

    from contests.essay import exports

    written: list[str] = []
    original_multi_cell, original_cell = FPDF.multi_cell, FPDF.cell

    def multi_cell(self, w, h=None, text="", *args, **kwargs):
        written.append(str(text))
        return original_multi_cell(self, w, h, text, *args, **kwargs)

    def cell(self, w=None, h=None, text="", *args, **kwargs):
        written.append(str(text))
        return original_cell(self, w, h, text, *args, **kwargs)

    monkeypatch.setattr(FPDF, "multi_cell", multi_cell)
    monkeypatch.setattr(FPDF, "cell", cell)
    open_round = make_round(max_words=1000)
    school = make.school(name="Trường THCS Dương Xá")
    author = make.student(make.school_class(school, name="7A2"), full_name="Nguyễn Thị Mai")
    essay = next(e for e in ESSAYS if e["key"] == "e02")
    entry = services.start_entry(round_=open_round, student=author, now=T0)
    services.save_draft(entry=entry, title=essay["title"], body=essay["body"], seq=1, now=T0)
    services.upload_photo(
        entry=entry, data=image_bytes(), caption="Lớp 7A2 trường THCS Dương Xá", now=T0
    )
    services.submit_entry(entry=entry, now=T0)

    data = exports.anonymous_bundle(open_round)

    text = "\n".join(written)
    assert data.startswith(b"%PDF")
    assert entry.code in text
    assert "Lớp [lớp] trường [trường]" in text
    assert data.count(b"/Subtype /Image") == 1
    for secret in [*essay["mentions"], "Dương Xá"]:
        assert not appears(secret, text), secret
