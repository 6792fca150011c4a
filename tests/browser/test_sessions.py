"""A signed-out browser's cookies are dead: put back into a fresh browser, they sign nobody in."""

from playwright.sync_api import expect

NAMES = ("mx_session", "mx_remember")


def _fresh(browser, cookies):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    context.add_cookies(cookies)
    return context


def test_sign_in_remembered_sign_out_and_the_old_cookies_are_refused(page, browser, live_server):
    page.goto(live_server("/login"))
    page.get_by_label("Tên đăng nhập").fill("student5")
    page.get_by_label("Mật khẩu", exact=True).fill("demo1234")
    page.get_by_label("Duy trì đăng nhập trên thiết bị này").check()
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    cookies = [c for c in page.context.cookies() if c["name"] in NAMES]
    assert sorted(c["name"] for c in cookies) == sorted(NAMES)
    remember = next(c for c in cookies if c["name"] == "mx_remember")
    assert remember["httpOnly"] is True
    assert remember["sameSite"] == "Lax"

    # While signed in, the remember-me cookie alone signs a fresh browser in, and is replaced.
    restored = _fresh(browser, [remember])
    try:
        assert restored.request.get(live_server("/api/v1/me")).status == 200
        rotated = next(c for c in restored.cookies() if c["name"] == "mx_remember")
    finally:
        restored.close()
    assert rotated["value"] != remember["value"]

    page.wait_for_load_state()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_text("Đã đăng xuất.")).to_be_visible()

    replay = _fresh(browser, cookies)
    try:
        assert replay.request.get(live_server("/api/v1/me")).status == 401
        other = replay.new_page()
        other.goto(live_server("/account/password"))
        expect(other.get_by_label("Tên đăng nhập")).to_be_visible()
        assert "/login" in other.url
        # The token that replaced it belonged to the same session: signing out ended it too.
        replay_remember = _fresh(browser, [rotated])
        try:
            assert replay_remember.request.get(live_server("/api/v1/me")).status == 401
        finally:
            replay_remember.close()
    finally:
        replay.close()
