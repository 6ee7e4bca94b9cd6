"""Administering the routing rules in the panel: over real HTTP on both databases (an admin sets a department's
settings, hours and rota and people's channels through the forms; a bad form comes back 422 with the problem beside
its field and nothing changed; nobody else may), and once in Chromium, with screenshots and the axe check."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from backend.app import create_app
from backend.appkeys import DATABASE
from backend.organisation.models import Department
from backend.routing.models import ContactChannel, DutySlot, OpeningHours
from backend.staff.models import StaffMember
from shared.enums import DeliveryChannel
from tests.backend.conftest import PASSWORD, Backend, FakeClock, build_world
from tests.panel import browser
from tests.panel.browser import chromium_page, serious_violations
from tests.panel.signing import give_password, sign_in

PAGE = "/panel/admin/routing"
CHANNELS = PAGE + "/channels"
SECRET_HOOK = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n"
MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/Toronto"))


@pytest.fixture
def clock() -> FakeClock:
    fixed = FakeClock()
    fixed.now = MONDAY_10.astimezone(dt.UTC)
    return fixed


@pytest.fixture
async def monday(settings, aiohttp_client, clock) -> Backend:
    """The test clinic on Monday 7 December 2026 at 10:00 in Toronto, by the clock the test holds."""
    # Sessions last the day: the tests move the clock by hours.
    app = create_app(settings.model_copy(update={"session_idle_minutes": 24 * 60}), clock=clock)
    client = await aiohttp_client(app)
    return Backend(client=client, database=app[DATABASE], world=await build_world(app[DATABASE]))


def billing_page(backend: Backend) -> str:
    return f"{PAGE}/{backend.world.departments['billing']}"


async def billing(backend: Backend) -> Department:
    async with backend.database.read() as session:
        return await session.get(Department, backend.world.departments["billing"])


async def hours(backend: Backend) -> list[tuple[int, dt.time, dt.time]]:
    async with backend.database.read() as session:
        rows = await session.scalars(select(OpeningHours).where(
            OpeningHours.department_id == backend.world.departments["billing"]).order_by(OpeningHours.weekday))
        return [(h.weekday, h.opens, h.closes) for h in rows]


async def rota(backend: Backend) -> list[tuple[str, int, dt.time, dt.time, int]]:
    logins = {staff_id: login for login, staff_id in backend.world.staff_ids.items()}
    async with backend.database.read() as session:
        rows = await session.scalars(select(DutySlot).where(
            DutySlot.department_id == backend.world.departments["billing"]).order_by(DutySlot.rank, DutySlot.id))
        return [(logins[s.staff_member_id], s.weekday, s.starts, s.ends, s.rank) for s in rows]


def hours_form(csrf: str, days: dict[int, tuple[str, str]]) -> dict[str, str]:
    """The weekly grid as the page posts it: one row per day, blank for a closed day."""
    form = {"csrf_token": csrf}
    for day in range(7):
        opens, closes = days.get(day, ("", ""))
        form |= {f"hours-{day}-day": str(day), f"hours-{day}-opens": opens, f"hours-{day}-closes": closes}
    return form


def rota_form(csrf: str, rows: list[tuple[str, str, str, str, str]], blank: int = 3) -> dict[str, str]:
    form = {"csrf_token": csrf}
    for index, row in enumerate([*rows, *[("", "0", "", "", "")] * blank]):
        form |= {f"rota-{index}-{name}": value for name, value in zip(("staff", "day", "starts", "ends", "rank"),
                                                                      row, strict=True)}
    return form


def field_error(html: str, name: str) -> str:
    """The message shown for a field, checking the field points at it and is marked invalid."""
    tag = re.search(rf'<(?:input|select)[^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag, tag
    assert f'aria-describedby="{name}-error"' in tag or f'{name}-error"' in tag, tag
    return re.search(rf'id="{re.escape(name)}-error">([^<]+)<', html).group(1)


# Over HTTP


async def test_the_routing_table_lists_every_department_and_links_to_it(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    await backend.client.post(f"{billing_page(backend)}/settings", data={
        "csrf_token": csrf, "phone": "514 555-0123", "email": "facturation@clinique.example",
        "fallback_department_id": str(backend.world.departments["paediatrics"]), "escalate_after_seconds": "90"})
    response = await backend.client.get(PAGE)
    assert response.status == 200
    html = await response.text()
    row = re.search(r'<tr data-department="%d">(.*?)</tr>' % backend.world.departments["billing"], html, re.S)[1]
    assert f'href="{billing_page(backend)}"' in row and "Billing" in row
    assert "Always open" in row and "Billing, Billing2" in row and "all members together" in row
    assert "Paediatrics" in row and "+15145550123" in row and "facturation@clinique.example" in row and "90 s" in row
    assert f'href="{CHANNELS}"' in html
    assert 'href="/panel/admin/routing"' in await (await backend.client.get("/panel/admin")).text()


async def test_the_table_tells_who_answers_now_by_the_site_clock(monday: Backend, clock: FakeClock):
    backend = monday
    csrf = await sign_in(backend, "admin", page=PAGE)
    ids = backend.world.staff_ids
    await backend.client.post(f"{billing_page(backend)}/hours", data=hours_form(csrf, {0: ("08:30", "17:00")}))
    await backend.client.post(f"{billing_page(backend)}/rota", data=rota_form(csrf, [
        (str(ids["billing2"]), "0", "08:00", "12:00", "1"), (str(ids["billing"]), "0", "08:00", "12:00", "2")]))
    await backend.client.post(f"{billing_page(backend)}/settings", data={
        "csrf_token": csrf, "phone": "", "email": "", "escalate_after_seconds": "60",
        "fallback_department_id": str(backend.world.departments["paediatrics"])})

    def billing_row(html: str) -> str:
        found = re.search(r'<tr data-department="%d">(.*?)</tr>' % backend.world.departments["billing"], html, re.S)[1]
        return " ".join(re.sub(r"<[^>]+>", " ", found).split())

    html = await (await backend.client.get(PAGE)).text()
    assert "Now: Monday 10:00 (America/Toronto)." in html
    assert billing_row(html).startswith(
        "Billing Open now Today: 08:30–17:00 Billing2, Billing one by one, in this order")

    clock.now = (MONDAY_10 + dt.timedelta(hours=3)).astimezone(dt.UTC)  # 13:00: open, nobody on the rota
    assert "Billing Open now Today: 08:30–17:00 Billing, Billing2 all members together" in billing_row(
        await (await backend.client.get(PAGE)).text())

    clock.now = (MONDAY_10 + dt.timedelta(hours=8)).astimezone(dt.UTC)  # 18:00: closed, Paediatrics answers
    assert billing_row(await (await backend.client.get(PAGE)).text()).startswith(
        "Billing Closed now Today: 08:30–17:00 Paediatrics answers Nobody while closed Paediatrics")
    page = await (await backend.client.get(billing_page(backend))).text()
    assert re.search(r'id="open-now">\s*Closed now — Paediatrics answers', page)
    assert '<tr class="today">' in page and "(Monday 18:00, America/Toronto)" in page


async def test_an_admin_sets_the_routing_settings(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    response = await backend.client.post(f"{billing_page(backend)}/settings", allow_redirects=False, data={
        "csrf_token": csrf, "phone": "(514) 555-0123", "email": " Facturation@Clinique.example",
        "fallback_department_id": str(backend.world.departments["paediatrics"]), "escalate_after_seconds": "45"})
    assert response.status == 303 and response.headers["Location"] == f"{billing_page(backend)}?saved=settings"
    row = await billing(backend)
    assert (row.phone, row.email, row.fallback_department_id, row.escalate_after_seconds) == (
        "+15145550123", "Facturation@clinique.example", backend.world.departments["paediatrics"], 45)
    html = await (await backend.client.get(response.headers["Location"])).text()
    assert "The routing settings were saved." in html and 'value="+15145550123"' in html
    assert re.search(r'<option value="%d" selected>Paediatrics</option>' % backend.world.departments["paediatrics"],
                     html)


async def test_bad_settings_come_back_with_each_problem_and_change_nothing(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    counts = await backend.row_counts()
    response = await backend.client.post(f"{billing_page(backend)}/settings", data={
        "csrf_token": csrf, "phone": "12", "email": "facturation@", "escalate_after_seconds": "5",
        "fallback_department_id": str(backend.world.departments["billing"])})
    assert response.status == 422
    html = await response.text()
    assert "Nothing was saved: check the fields marked below." in html
    assert field_error(html, "phone").startswith("Give a phone number")
    assert field_error(html, "email").startswith("Give an email address")
    assert field_error(html, "escalate_after_seconds") == "Give a number of seconds from 10 to 3600."
    assert field_error(html, "fallback_department_id").startswith("A department cannot take over from itself")
    assert 'value="12"' in html and 'value="facturation@"' in html and 'value="5"' in html  # as typed
    assert await backend.row_counts() == counts
    row = await billing(backend)
    assert (row.phone, row.email, row.fallback_department_id, row.escalate_after_seconds) == ("", "", None, 120)


async def test_an_admin_sets_the_weekly_hours_with_a_night_past_midnight(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    days = {day: ("09:00", "17:00") for day in range(4)} | {4: ("22:00", "06:00")}
    response = await backend.client.post(f"{billing_page(backend)}/hours", data=hours_form(csrf, days),
                                         allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].endswith("?saved=hours")
    assert await hours(backend) == [(d, dt.time(9), dt.time(17)) for d in range(4)] + [(4, dt.time(22), dt.time(6))]
    html = await (await backend.client.get(billing_page(backend))).text()
    assert 'name="hours-4-opens" value="22:00"' in html and 'name="hours-4-closes" value="06:00"' in html
    assert 'name="hours-5-opens" value=""' in html  # Saturday: closed

    # Every day left blank: always open again.
    response = await backend.client.post(f"{billing_page(backend)}/hours", data=hours_form(csrf, {}),
                                         allow_redirects=False)
    assert response.status == 303 and await hours(backend) == []
    assert "Always open" in await (await backend.client.get(PAGE)).text()


async def test_bad_hours_come_back_beside_their_day_and_change_nothing(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    await backend.client.post(f"{billing_page(backend)}/hours", data=hours_form(csrf, {0: ("08:00", "12:00")}))
    before, counts = await hours(backend), await backend.row_counts()
    response = await backend.client.post(f"{billing_page(backend)}/hours", data=hours_form(csrf, {
        0: ("09:00", "17:00"), 2: ("09:00", ""), 3: ("10:00", "10:00"), 5: ("25:00", "12:00")}))
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "hours-2-closes") == "Give both times, or neither."
    assert field_error(html, "hours-3-closes").startswith("The end must differ from the start")
    assert field_error(html, "hours-5-opens") == "Give a time like 08:30."
    assert 'name="hours-0-opens" value="09:00"' in html and 'name="hours-2-opens" value="09:00"' in html
    assert await hours(backend) == before and await backend.row_counts() == counts


async def test_an_admin_sets_the_rota_ignoring_blank_lines_and_removes_a_line(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    ids = backend.world.staff_ids
    response = await backend.client.post(f"{billing_page(backend)}/rota", allow_redirects=False, data=rota_form(csrf, [
        (str(ids["billing2"]), "0", "09:00", "17:00", "1"),
        (str(ids["billing"]), "0", "09:00", "17:00", "2"),
        (str(ids["billing"]), "4", "22:00", "06:00", "")]))  # no order given: first
    assert response.status == 303 and response.headers["Location"].endswith("?saved=rota")
    assert await rota(backend) == [("billing2", 0, dt.time(9), dt.time(17), 1),
                                   ("billing", 4, dt.time(22), dt.time(6), 1),
                                   ("billing", 0, dt.time(9), dt.time(17), 2)]
    html = await (await backend.client.get(billing_page(backend))).text()
    assert 'name="rota-5-staff"' in html and 'name="rota-6-staff"' not in html
    assert 'name="rota-0-remove"' in html and 'name="rota-3-remove"' not in html  # only saved lines

    form = rota_form(csrf, [(str(ids["billing2"]), "0", "09:00", "17:00", "1"),
                            (str(ids["billing"]), "0", "09:00", "17:00", "2")])
    form |= {"rota-0-existing": "1", "rota-1-existing": "1", "rota-0-remove": "1"}
    response = await backend.client.post(f"{billing_page(backend)}/rota", data=form, allow_redirects=False)
    assert response.status == 303
    assert await rota(backend) == [("billing", 0, dt.time(9), dt.time(17), 2)]


async def test_a_rota_naming_a_non_member_comes_back_and_changes_nothing(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    ids = backend.world.staff_ids
    await backend.client.post(f"{billing_page(backend)}/rota",
                              data=rota_form(csrf, [(str(ids["billing"]), "0", "09:00", "17:00", "1")]))
    before, counts = await rota(backend), await backend.row_counts()
    response = await backend.client.post(f"{billing_page(backend)}/rota", data=rota_form(csrf, [
        (str(ids["billing"]), "1", "09:00", "17:00", "1"),
        ("", "0", "", "", ""),
        (str(ids["paeds"]), "2", "09:00", "17:00", "1"),
        (str(ids["billing2"]), "3", "09:00", "", "0")]))
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "rota-2-staff") == "Choose an active member of this department."
    assert field_error(html, "rota-3-ends") == "Give both times, or neither."
    assert field_error(html, "rota-3-rank") == "Give an order from 1 to 99."
    assert "(not a member)" in html  # the stranger stays chosen, so the admin sees whom they named
    assert await rota(backend) == before and await backend.row_counts() == counts


async def test_an_admin_adds_and_removes_channels_and_never_sees_a_webhook_whole(backend: Backend):
    async with backend.database.write() as session:
        (await session.get(StaffMember, backend.world.staff_ids["billing"])).email = "billing@clinique.example"
    csrf = await sign_in(backend, "admin", page=PAGE)
    billing_id = backend.world.staff_ids["billing"]
    page = await (await backend.client.get(CHANNELS)).text()
    row = re.search(r'<tr data-staff="%d">(.*?)</tr>' % billing_id, page, re.S)[1]
    assert re.search(r'name="target"[^>]*value="billing@clinique.example"', row)  # their own address, ready

    for channel, target in (("email", "billing@clinique.example"), ("slack", SECRET_HOOK)):
        response = await backend.client.post(CHANNELS, allow_redirects=False, data={
            "csrf_token": csrf, "staff": str(billing_id), "channel": channel, "target": target})
        assert response.status == 303 and response.headers["Location"] == f"{CHANNELS}?saved=channel-added"
    page = await (await backend.client.get(CHANNELS)).text()
    row = re.search(r'<tr data-staff="%d">(.*?)</tr>' % billing_id, page, re.S)[1]
    assert "billing@clinique.example" in row and "https://hooks.slack.com/…" in row
    assert "s3cr3t" not in page and "services/T0001" not in page

    counts = await backend.row_counts()
    duplicate = await backend.client.post(CHANNELS, data={
        "csrf_token": csrf, "staff": str(billing_id), "channel": "slack", "target": SECRET_HOOK})
    assert duplicate.status == 422
    html = await duplicate.text()
    assert html.count("This person is already told there.") == 1
    assert 'aria-describedby="target-%d-error"' % billing_id in html
    bad = await backend.client.post(CHANNELS, data={
        "csrf_token": csrf, "staff": str(billing_id), "channel": "teams", "target": "not a url"})
    assert bad.status == 422
    assert "Give the https:// address of the chat tool’s incoming webhook." in await bad.text()
    assert 'value="not a url"' in await bad.text()
    assert await backend.row_counts() == counts

    async with backend.database.read() as session:
        hook = await session.scalar(select(ContactChannel).where(ContactChannel.channel == DeliveryChannel.SLACK))
    removed = await backend.client.post(f"{CHANNELS}/{hook.id}/remove", data={"csrf_token": csrf},
                                        allow_redirects=False)
    assert removed.status == 303 and removed.headers["Location"] == f"{CHANNELS}?saved=channel-removed"
    async with backend.database.read() as session:
        assert [c.channel for c in await session.scalars(select(ContactChannel))] == [DeliveryChannel.EMAIL]


async def test_nobody_but_an_admin_may_see_or_change_the_routing(backend: Backend):
    paths = [PAGE, billing_page(backend), CHANNELS]
    posts = [f"{billing_page(backend)}/settings", f"{billing_page(backend)}/hours", f"{billing_page(backend)}/rota",
             CHANNELS, f"{CHANNELS}/1/remove"]
    for path in paths:
        response = await backend.client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == f"/panel/sign-in?next={path}"
    for path in posts:
        assert (await backend.client.post(path, data={}, allow_redirects=False)).status == 303
    async with backend.database.write() as session:
        session.add(ContactChannel(staff_member_id=backend.world.staff_ids["billing"], channel=DeliveryChannel.EMAIL,
                                   target="billing@clinique.example"))
    routing_tables = ("opening_hours", "duty_slot", "contact_channel")
    counts = {name: count for name, count in (await backend.row_counts()).items() if name in routing_tables}
    for login in ("reception", "billing", "clerk"):
        backend.client.session.cookie_jar.clear()
        csrf = await sign_in(backend, login, page=PAGE)
        for path in paths:
            response = await backend.client.get(path)
            assert response.status == 403, (login, path)
            assert "text/html" in response.headers["Content-Type"]
        for path in posts:
            response = await backend.client.post(path, data={
                "csrf_token": csrf, "phone": "", "email": "", "escalate_after_seconds": "30",
                "staff": str(backend.world.staff_ids[login]), "channel": "email", "target": "x@clinique.example"})
            assert response.status == 403, (login, path)
    assert {name: count for name, count in (await backend.row_counts()).items() if name in routing_tables} == counts
    assert (await billing(backend)).escalate_after_seconds == 120


async def test_forms_need_the_csrf_token_and_an_unknown_department_is_not_found(backend: Backend):
    await sign_in(backend, "admin", page=PAGE)
    counts = await backend.row_counts()
    response = await backend.client.post(f"{billing_page(backend)}/hours", data=hours_form("forged", {0: ("09:00",
                                                                                                          "17:00")}))
    assert response.status == 403 and await backend.row_counts() == counts
    missing = await backend.client.get(f"{PAGE}/999999")
    assert missing.status == 404 and "Not found" in await missing.text()


# In Chromium


@pytest.fixture
async def page():
    async with chromium_page("en-CA") as page:
        yield page


async def shot(page, name: str) -> None:
    await browser.shot(page, f"panel-routing-{name}")


@pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL
async def test_an_admin_edits_a_departments_hours_and_rota_in_the_browser(monday: Backend, page):
    backend = monday
    await give_password(backend, "admin")
    async with backend.database.write() as session:
        (await session.get(StaffMember, backend.world.staff_ids["billing"])).email = "billing@clinique.example"
        session.add(ContactChannel(staff_member_id=backend.world.staff_ids["billing2"],
                                   channel=DeliveryChannel.SLACK, target=SECRET_HOOK))
    base = str(backend.client.make_url("")).rstrip("/")
    await page.context.add_cookies([{"name": "accueil_lang", "value": "en", "url": base}])
    await page.goto(f"{base}/panel/admin")
    await page.get_by_label("Login").fill("admin")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name=re.compile("^Routing")).click()
    await expect(page.get_by_role("heading", name="Routing rules", exact=True)).to_be_visible()
    assert await serious_violations(page) == []
    await page.get_by_role("link", name="Billing", exact=True).click()
    await expect(page.get_by_role("heading", name="Routing: Billing")).to_be_visible()

    # Opening hours: weekdays 8:30 to 17:00, and Friday night past midnight.
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday"):
        await page.get_by_role("textbox", name=f"Opens {day}").fill("08:30")
        await page.get_by_role("textbox", name=f"Closes {day}").fill("17:00")
    await page.get_by_role("textbox", name="Opens Friday").fill("22:00")
    await page.get_by_role("textbox", name="Closes Friday").fill("06:00")
    await page.get_by_role("button", name="Save the opening hours").click()
    await expect(page.get_by_role("status")).to_have_text("The opening hours were saved.")
    await expect(page.get_by_role("textbox", name="Opens Friday")).to_have_value("22:00")
    assert await hours(backend) == [(d, dt.time(8, 30), dt.time(17)) for d in range(4)] + [
        (4, dt.time(22), dt.time(6))]

    # (The grids' fields are named by their column and row, through aria-labelledby: found by role and name.)
    # The rota: Billing2 first on Mondays, Billing after; a mistake first (no end), shown beside its field.
    await page.get_by_role("combobox", name="Member 1").select_option(label="Billing2")
    await page.get_by_role("combobox", name="Day 1").select_option(label="Monday")
    await page.get_by_role("textbox", name="Starts 1").fill("08:30")
    await page.get_by_role("textbox", name="Ends 1").fill("17:00")
    await page.get_by_role("spinbutton", name="Order 1").fill("1")
    await page.get_by_role("combobox", name="Member 2").select_option(label="Billing")
    await page.get_by_role("textbox", name="Starts 2").fill("08:30")
    await page.get_by_role("button", name="Save the rota").click()
    await expect(page.get_by_role("alert")).to_have_text("Nothing was saved: check the fields marked below.")
    await expect(page.get_by_role("textbox", name="Ends 2")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#rota-1-ends-error")).to_have_text("Give both times, or neither.")
    await expect(page.get_by_role("combobox", name="Member 1")).to_have_value(str(backend.world.staff_ids["billing2"]))
    assert await rota(backend) == []
    await page.locator("#rota-title").scroll_into_view_if_needed()
    await shot(page, "department-error")
    assert await serious_violations(page) == []

    await page.get_by_role("textbox", name="Ends 2").fill("17:00")
    await page.get_by_role("spinbutton", name="Order 2").fill("2")
    await page.get_by_role("button", name="Save the rota").click()
    await expect(page.get_by_role("status")).to_have_text("The on-duty rota was saved.")
    assert await rota(backend) == [("billing2", 0, dt.time(8, 30), dt.time(17), 1),
                                   ("billing", 0, dt.time(8, 30), dt.time(17), 2)]
    await shot(page, "department")
    assert await serious_violations(page) == []

    await expect(page.locator("#on-duty-now")).to_contain_text("Billing2, Billing — one by one, in this order (rota)")
    await page.get_by_role("link", name="Back to the routing rules").click()
    row = page.locator(f'tr[data-department="{backend.world.departments["billing"]}"]')
    await expect(row).to_contain_text("Open now")
    await expect(row).to_contain_text("Today: 08:30–17:00")
    await expect(row).to_contain_text("Billing2, Billing")
    await shot(page, "summary")
    assert await serious_violations(page) == []

    await page.get_by_role("link", name="Everyone’s email, Slack and Teams channels").click()
    await expect(page.get_by_role("heading", name="People’s channels")).to_be_visible()
    row = page.locator(f'tr[data-staff="{backend.world.staff_ids["billing2"]}"]')
    await expect(row).to_contain_text("https://hooks.slack.com/…")
    billing_row = page.locator(f'tr[data-staff="{backend.world.staff_ids["billing"]}"]')
    await expect(billing_row.get_by_label("Address or webhook URL")).to_have_value("billing@clinique.example")
    await billing_row.get_by_role("button", name="Add").click()
    await expect(page.get_by_role("status")).to_have_text("The channel was added.")
    await expect(billing_row).to_contain_text("billing@clinique.example")
    await shot(page, "channels")
    assert await serious_violations(page) == []
