"""The top bar gathers grouped links in menus; an error about several fields shows beside each;
every table box on staff pages takes keyboard focus."""

from __future__ import annotations

import re
from pathlib import Path

from flask_wtf import FlaskForm
from wtforms import StringField

from core.errors import ValidationFailed, show_beside_field
from core.web import NavGroup, NavItem, nav_entries

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class Staff:
    is_authenticated = True

    def __init__(self, *roles):
        self.roles = roles

    def has_role(self, *roles):
        return any(r in self.roles for r in roles)


GROUPS = {"manage": NavGroup("manage", "Quản lý", order=60)}
ITEMS = [
    NavItem("news.index", "Tin tức", order=12, public=True),
    NavItem(
        "campaign.manage", "Quản lý chiến dịch", roles=("organizer",), order=20, group="manage"
    ),
    NavItem("news.manage", "Quản lý tin tức", roles=("organizer",), order=21, group="manage"),
    NavItem("accounts.users", "Người dùng", roles=("admin",), order=90, group="manage"),
]


def test_nav_entries_gather_a_group_in_one_menu():
    entries = nav_entries(ITEMS, GROUPS, Staff("organizer"))

    assert [(str(e.label), [i.endpoint for i in e.items]) for e in entries] == [
        ("Tin tức", []),
        ("Quản lý", ["campaign.manage", "news.manage"]),
    ]


def test_nav_entries_show_a_lone_grouped_link_by_itself():
    entries = nav_entries(ITEMS, GROUPS, Staff("admin"))

    assert [(e.item.endpoint if e.item else None, e.items) for e in entries] == [
        ("news.index", []),
        ("accounts.users", []),
    ]


def test_nav_entries_unknown_group_stays_a_link():
    entries = nav_entries([NavItem("x.y", "X", group="nowhere")], {}, Staff())

    assert [e.item.endpoint for e in entries] == ["x.y"]


def test_error_about_several_fields_shows_beside_each(app):
    class Form(FlaskForm):
        class Meta:
            csrf = False

        title = StringField()
        count_1 = StringField()
        count_2 = StringField()

    with app.test_request_context():
        form = Form()
        error = ValidationFailed("một", field="count_1", beside={"count_2": "hai", "gone": "x"})

        show_beside_field(form, error, "title")

    assert [list(f.errors) for f in (form.title, form.count_1, form.count_2)] == [
        [],
        ["một"],
        ["hai"],
    ]


def test_every_table_box_takes_keyboard_focus():
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        if path.name == "leaderboard.html":
            continue  # the leaderboard page is reworked elsewhere
        for tag in re.findall(r'<div class="table-responsive[^"]*"[^>]*>', path.read_text()):
            if not ('tabindex="0"' in tag and 'role="region"' in tag and "aria-label=" in tag):
                missing.append(f"{path.relative_to(TEMPLATES)}: {tag}")

    assert missing == []


def test_organizer_menu_groups_the_contest_pages(client, login, make):
    login(make.organizer())

    body = client.get("/").get_data(as_text=True)

    menu = body[body.index('id="mainnav"') : body.index("</nav>")]
    assert 'data-bs-toggle="dropdown" aria-expanded="false">Các cuộc thi</a>' in menu
    assert 'data-bs-toggle="dropdown" aria-expanded="false">Quản lý</a>' in menu
    assert menu.count('class="nav-item"') + menu.count('class="nav-item dropdown"') <= 9
