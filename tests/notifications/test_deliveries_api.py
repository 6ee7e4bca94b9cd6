"""Following deliveries: the JSON list for admins and receptionists, and the panel's page."""
from __future__ import annotations

from shared.enums import DeliveryChannel
from tests.backend.conftest import PASSWORD
from tests.notifications.conftest import Post


async def _three(post: Post) -> dict[str, int]:
    """One delivered email, one failed webhook, one webhook waiting to be tried again."""
    post.hooks.script.update({"gone": [404], "busy": [503]})
    ids = {"email": await post.enqueue(DeliveryChannel.EMAIL, "billing@example.org", about="visit:7"),
           "failed": await post.enqueue(DeliveryChannel.SLACK, post.hooks.url("gone"), about="call:3"),
           "retrying": await post.enqueue(DeliveryChannel.TEAMS, post.hooks.url("busy"), about="visit:7")}
    assert await post.run() == 3
    return ids


async def test_the_list_with_filters(post: Post):
    ids = await _three(post)
    response = await post.client.get("/api/deliveries", headers=post.auth("reception"))
    assert response.status == 200
    text = await response.text()
    items = (await response.json())["items"]
    assert [i["id"] for i in items] == sorted(ids.values(), reverse=True)
    by_id = {i["id"]: i for i in items}
    assert by_id[ids["email"]]["status"] == "delivered" and by_id[ids["email"]]["target"] == "billing@example.org"
    failed = by_id[ids["failed"]]
    assert (failed["status"], failed["attempts"], failed["last_error"]) == ("failed", 1, "HTTP 404: boom")
    retrying = by_id[ids["retrying"]]
    assert retrying["status"] == "retrying" and retrying["next_attempt_at"] is not None
    # A webhook's URL is its secret: only its scheme and host are shown.
    assert retrying["target"] == "http://127.0.0.1/…" and "/hook/busy" not in text

    async def listed(query: str) -> list[int]:
        found = await post.client.get(f"/api/deliveries?{query}", headers=post.auth("admin"))
        assert found.status == 200, await found.text()
        return [i["id"] for i in (await found.json())["items"]]

    assert await listed("status=failed") == [ids["failed"]]
    assert await listed("status=failed&status=delivered") == [ids["failed"], ids["email"]]
    assert await listed("about=visit:7") == [ids["retrying"], ids["email"]]
    assert await listed("about=visit:7&status=retrying") == [ids["retrying"]]
    assert await listed("limit=1") == [ids["retrying"]]


async def test_bad_filters_are_422_naming_each(post: Post):
    response = await post.client.get("/api/deliveries?status=lost&limit=0&colour=red", headers=post.auth("admin"))
    assert response.status == 422
    problem = await response.json()
    assert response.content_type == "application/problem+json"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("status", "status_unknown"), ("limit", "limit_invalid"), ("colour", "field_unknown")}


async def test_only_admins_and_receptionists_follow_deliveries(post: Post):
    for who, status in (("admin", 200), ("reception", 200), ("billing", 403), ("clerk", 403), ("kiosk_a", 403)):
        response = await post.client.get("/api/deliveries", headers=post.auth(who))
        assert response.status == status, who
    assert (await post.client.get("/api/deliveries")).status == 401


async def test_the_panel_page_lists_and_filters(post: Post):
    ids = await _three(post)
    signed = await post.client.post("/panel/sign-in", data={"login": "reception", "password": PASSWORD},
                                    allow_redirects=False)
    assert signed.status == 303
    page = await post.client.get("/panel/deliveries", headers={"Accept-Language": "en"})
    assert page.status == 200
    html = await page.text()
    assert 'href="/panel/deliveries"' in html  # in the nav
    for delivery_id in ids.values():
        assert f'data-delivery="{delivery_id}"' in html
    assert "HTTP 404: boom" in html and "/hook/gone" not in html
    failed = await (await post.client.get("/panel/deliveries?status=failed")).text()
    assert f'data-delivery="{ids["failed"]}"' in failed and f'data-delivery="{ids["email"]}"' not in failed
    about = await (await post.client.get("/panel/deliveries?about=call:3")).text()
    assert f'data-delivery="{ids["failed"]}"' in about and f'data-delivery="{ids["retrying"]}"' not in about
    assert (await post.client.get("/panel/deliveries?status=lost")).status == 400
