import io

import pytest

from core.audit import history
from core.errors import ValidationFailed
from core.organisations import services
from core.organisations.models import Organisation, OrganisationKind


@pytest.fixture
def request_ctx(app, db):
    with app.test_request_context():
        yield


def _office(actor=None, **kw):
    values = dict(
        kind=OrganisationKind.EDUCATION_OFFICE,
        name="Phòng Giáo dục và Đào tạo",
        parent_name="UBND huyện Gia Lâm",
        place_name="Gia Lâm",
        symbol="PGDĐT",
    )
    return services.save_organisation(actor=actor, **(values | kw))


def test_issuers_of_falls_back_to_the_first_office(db, make, request_ctx):
    office = _office()
    union = _office(kind=OrganisationKind.YOUTH_UNION, name="Huyện đoàn", symbol="HĐTN")

    before = services.issuers_of("campaign", 5)
    services.set_issuers(
        actor=None, subject_type="campaign", subject_id=5, organisation_ids=[union.id, office.id]
    )

    assert before == [office]
    assert services.issuers_of("campaign", 5) == [union, office]
    assert services.issuers_of("campaign", 6) == [office]


def test_save_organisation_is_audited_and_needs_a_name(db, make, request_ctx):
    organizer = make.organizer()
    office = _office(organizer)

    with pytest.raises(ValidationFailed):
        _office(organizer, organisation=office, name="  ")

    assert [e.action for e in history("organisation", office.id)] == ["organisation.save"]
    assert office.number_symbol("QĐ") == "QĐ-PGDĐT"


def test_school_without_a_record_gets_a_drafted_body(db, make, request_ctx):
    _office()
    school = make.school("X")

    drafted = services.organisation_for_school(school)

    assert drafted.name == school.name
    assert drafted.parent_name == "Phòng Giáo dục và Đào tạo"
    assert drafted.id is None


def test_settings_page_for_organizer(client, login, make):
    login(make.organizer())

    listing = client.get("/settings/organisations")
    response = client.post(
        "/settings/organisations/new",
        data={
            "kind": "peoples_committee",
            "name": "UBND xã Gia Lâm",
            "parent_name": "",
            "place_name": "Gia Lâm",
            "symbol": "UBND",
            "signer_title": "Chủ tịch",
            "signer_name": "Hoàng Văn Nam",
            "school_id": "0",
        },
    )

    assert listing.status_code == 200
    assert response.status_code == 302
    saved = db_get_by_name("UBND xã Gia Lâm")
    assert (saved.kind, saved.signer_name) == (OrganisationKind.PEOPLES_COMMITTEE, "Hoàng Văn Nam")


def db_get_by_name(name: str) -> Organisation:
    from core.extensions import db

    return db.session.query(Organisation).filter_by(name=name).one()


def test_settings_page_forbidden_to_a_coordinator(client, login, make):
    login(make.coordinator(make.school("Y")))

    assert client.get("/settings/organisations").status_code == 403
    assert client.post("/settings/organisations/new", data={"name": "X"}).status_code == 403


def _organisation_form(**overrides):
    data = {
        "kind": "education_office",
        "name": "Phòng Giáo dục và Đào tạo",
        "parent_name": "UBND xã Gia Lâm",
        "place_name": "Gia Lâm",
        "symbol": "PGDĐT",
        "signer_title": "Trưởng phòng",
        "signer_name": "Nguyễn Thị Bình",
        "school_id": "0",
    }
    data.update(overrides)
    return data


def test_logo_uploaded_is_re_encoded_stored_and_shown(client, login, make):
    from tests.campaign.greennet.conftest import png_bytes

    login(make.organizer())

    response = client.post(
        "/settings/organisations/new",
        data=_organisation_form(logo=(io.BytesIO(png_bytes(exif=True)), "logo.png")),
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    saved = db_get_by_name("Phòng Giáo dục và Đào tạo")
    assert saved.logo_key.startswith("organisations/")
    listing = client.get("/settings/organisations").get_data(as_text=True)
    assert f"/settings/organisations/{saved.id}/logo" in listing
    served = client.get(f"/settings/organisations/{saved.id}/logo")
    assert served.status_code == 200
    assert b"Exif" not in served.get_data()


def test_logo_that_is_not_an_image_is_refused(client, login, make):
    login(make.organizer())

    response = client.post(
        "/settings/organisations/new",
        data=_organisation_form(logo=(io.BytesIO(b"%PDF-1.4 not an image"), "logo.png")),
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    from core.extensions import db

    assert db.session.query(Organisation).count() == 0


def test_logo_forbidden_to_a_coordinator(client, login, make):
    organisation = services.save_organisation(
        actor=make.organizer(), kind="education_office", name="Phòng GD&ĐT"
    )
    login(make.coordinator(make.school("Y")))

    assert client.get(f"/settings/organisations/{organisation.id}/logo").status_code == 403
