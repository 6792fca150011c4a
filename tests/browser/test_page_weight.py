"""Light pages: the quiz paper on a phone, cold cache, stays within the issue's 100 KB.

Only the bytes are checked here (they do not depend on the machine's load); `bench/pages.py`
measures the times over emulated slow 3G.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from contests.quiz.models import QuizRound
from core.assets import IMMUTABLE
from core.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_quiz_paper_transfers_under_100_kb_cold_with_static_files_cached_a_year(
    phone, live_server, live_app
):
    with live_app.app_context():
        round_id = db.session.scalar(sa.select(QuizRound.id).where(QuizRound.title == "Vòng 2"))
        db.session.remove()
    sign_in(phone, live_server, "student11")
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    transferred = []
    cdp.on("Network.loadingFinished", lambda e: transferred.append(e["encodedDataLength"]))
    statics = []
    phone.on(
        "response",
        lambda r: statics.append(r) if "/static/" in r.url else None,
    )

    phone.goto(live_server(f"/quiz/rounds/{round_id}/take"))
    phone.wait_for_selector("fieldset[data-question-id] label")
    phone.wait_for_load_state("networkidle")

    assert sum(transferred) <= 100 * 1024
    assert not any("bootstrap.bundle" in r.url for r in statics)
    assert statics
    for response in statics:
        headers = response.all_headers()
        assert headers["cache-control"] == IMMUTABLE, response.url
        if not response.url.endswith((".woff2", ".svg")):
            assert headers.get("content-encoding") in ("br", "gzip"), response.url
