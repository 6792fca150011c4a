import io
from datetime import date

import pytest
from PIL import Image

from campaign.greennet import services
from core.schools.models import SchoolLevel


def png_bytes(size=(40, 30), exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (20, 140, 60))
    if exif:
        data = image.getexif()
        data[0x010E] = "secret description"
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF document."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF_BYTES = pdf_bytes()
#: A PDF header, an HTML script and an end marker: no page, no objects (issue 15).
POLYGLOT_PDF = b"%PDF-1.4\n<html><script>alert(document.domain)</script></html>\n%%EOF\n"


@pytest.fixture
def gn(make, db):
    """A movement with a THCS criteria set, two schools, their coordinators and an organizer."""
    organizer = make.organizer()
    movement = services.create_movement(
        actor=organizer, school_year="2026-2027", title="Phong trào Mạng xanh 2026–2027"
    )
    c1 = services.add_criterion(
        actor=organizer,
        movement=movement,
        level=SchoolLevel.THCS,
        code="1",
        title="Hội nghị, chuyên đề sử dụng Internet an toàn",
        max_points=20,
        evidence_kinds=["photo"],
        max_count=2,
    )
    c2 = services.add_criterion(
        actor=organizer,
        movement=movement,
        level=SchoolLevel.THCS,
        code="2",
        title="Tin bài trên trang web của trường",
        max_points=30,
        evidence_kinds=["link"],
        max_count=3,
    )
    c3 = services.add_criterion(
        actor=organizer,
        movement=movement,
        level=SchoolLevel.THCS,
        code="3",
        title="Tập huấn cán bộ, giáo viên",
        max_points=50,
    )
    school_a = make.school("A")
    school_b = make.school("B")
    return {
        "movement": movement,
        "organizer": organizer,
        "admin": make.admin(),
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "a": school_a,
        "b": school_b,
        "coord_a": make.coordinator(school_a),
        "coord_b": make.coordinator(school_b),
    }


@pytest.fixture
def new_activity(gn):
    def _new(school="a", criterion="c3", score=10.0, **kw):
        return services.save_activity(
            actor=gn[f"coord_{school}"],
            movement=gn["movement"],
            school=gn[school],
            criterion_id=gn[criterion].id,
            title=kw.pop("title", "Tập huấn an toàn thông tin"),
            happened_on=kw.pop("happened_on", date(2026, 10, 20)),
            self_score=score,
            **kw,
        )

    return _new


@pytest.fixture
def submitted(gn, new_activity):
    def _submitted(**kw):
        activity = new_activity(**kw)
        school = kw.get("school", "a")
        return services.submit_activity(actor=gn[f"coord_{school}"], activity=activity)

    return _submitted
