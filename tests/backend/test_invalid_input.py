"""Bad input is refused with a problem+json answer that says what is wrong, and changes nothing.

Also: moves a visit's state machine does not allow are refused as conflicts, and change nothing either.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientResponse

from shared.enums import VisitState
from tests.backend.conftest import Backend

CHECK_INS = "/api/kiosk/check-ins"
PROBLEM = "application/problem+json"
REMOVE = object()  # in a case's changes: leave this field out of the body


async def problem_of(response: ClientResponse, status: int) -> dict[str, Any]:
    """The problem document of a refusal, after checking its status, media type and required members."""
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    problem = await response.json(content_type=PROBLEM)
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    return problem


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem["errors"]]


def body_with(backend: Backend, changes: dict[str, Any], custom: dict[str, Any]) -> dict[str, Any]:
    body = backend.check_in_body()
    for key, value in changes.items():
        if value is REMOVE:
            del body[key]
        else:
            body[key] = value
    for key, value in custom.items():
        if value is REMOVE:
            del body["custom_fields"][key]
        else:
            body["custom_fields"][key] = value
    return body


async def post_check_in(backend: Backend, data: bytes | str | Any, *, content_type: str = "application/json",
                        key: str | None = "key-1") -> ClientResponse:
    """POST raw bytes to the check-in endpoint as kiosk A, with the headers given."""
    headers = {**backend.auth("kiosk_a"), "Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await backend.client.post(CHECK_INS, data=data, headers=headers)


# --- check-in: one field wrong --------------------------------------------------------------------

FIELD_CASES = [
    # Types are strict: nothing is coerced.
    pytest.param({"visitor_name": 123}, {}, "visitor_name", "string_type", id="name-is-a-number"),
    pytest.param({"department_id": "5"}, {}, "department_id", "int_type", id="department-id-is-a-string"),
    pytest.param({"visitor_type_id": True}, {}, "visitor_type_id", "int_type", id="visitor-type-id-is-a-bool"),
    pytest.param({"custom_fields": ["date_of_birth"]}, {}, "custom_fields", "dict_type", id="custom-fields-list"),
    pytest.param({}, {"first_visit": "yes"}, "custom_fields.first_visit", "yes_no_invalid", id="yes-no-is-text"),
    pytest.param({}, {"first_visit": 1}, "custom_fields.first_visit", "yes_no_invalid", id="yes-no-is-a-number"),
    pytest.param({}, {"note": ["a", "b"]}, "custom_fields.note", "type_invalid", id="text-is-a-list"),
    pytest.param({}, {"reason": True}, "custom_fields.reason", "type_invalid", id="choice-is-a-bool"),
    # Names that are not known.
    pytest.param({"favourite_colour": "blue"}, {}, "favourite_colour", "field_unknown", id="unknown-field"),
    pytest.param({}, {"pet": "cat"}, "custom_fields.pet", "field_unknown", id="unknown-custom-field"),
    # Required values.
    pytest.param({"visitor_name": REMOVE}, {}, "visitor_name", "required", id="name-missing"),
    pytest.param({"visitor_name": "   "}, {}, "visitor_name", "required", id="name-blank"),
    pytest.param({"department_id": REMOVE}, {}, "department_id", "required", id="department-missing"),
    pytest.param({}, {"date_of_birth": REMOVE}, "custom_fields.date_of_birth", "required", id="required-missing"),
    pytest.param({}, {"date_of_birth": ""}, "custom_fields.date_of_birth", "required", id="required-empty"),
    pytest.param({}, {"date_of_birth": None}, "custom_fields.date_of_birth", "required", id="required-null"),
    # Values of the wrong shape.
    pytest.param({"visitor_email": "helene@"}, {}, "visitor_email", "email_invalid", id="bad-email"),
    pytest.param({}, {"email": "not an email"}, "custom_fields.email", "email_invalid", id="bad-custom-email"),
    pytest.param({"visitor_phone": "12"}, {}, "visitor_phone", "phone_invalid", id="bad-phone"),
    pytest.param({}, {"phone": "12"}, "custom_fields.phone", "phone_invalid", id="bad-custom-phone"),
    pytest.param({}, {"date_of_birth": "31/12/1990"}, "custom_fields.date_of_birth", "date_invalid",
                 id="bad-date"),
    pytest.param({}, {"date_of_birth": "1990-02-30"}, "custom_fields.date_of_birth", "date_invalid",
                 id="impossible-date"),
    pytest.param({}, {"reason": "curiosity"}, "custom_fields.reason", "choice_invalid", id="choice-not-listed"),
    pytest.param({}, {"note": "x" * 501}, "custom_fields.note", "text_too_long", id="text-too-long"),
    pytest.param({"visitor_name": "x" * 201}, {}, "visitor_name", "string_too_long", id="name-too-long"),
    pytest.param({"custom_fields": {f"key_{n}": "x" for n in range(51)}}, {}, "custom_fields", "too_long",
                 id="too-many-custom-fields"),
    pytest.param({"language": "de"}, {}, "language", "enum", id="unknown-language"),
    # Ids that do not exist here.
    pytest.param({"department_id": 999999}, {}, "department_id", "department_unknown", id="unknown-department"),
    pytest.param({"visitor_type_id": 999999}, {}, "visitor_type_id", "visitor_type_unknown",
                 id="unknown-visitor-type"),
    pytest.param({"host_id": 999999}, {}, "host_id", "host_unknown", id="unknown-host"),
]


@pytest.mark.parametrize(("changes", "custom", "field", "code"), FIELD_CASES)
async def test_check_in_with_an_invalid_field_is_refused_naming_the_field(
        backend: Backend, changes: dict[str, Any], custom: dict[str, Any], field: str, code: str):
    counts = await backend.row_counts()
    response = await post_check_in(backend, json.dumps(body_with(backend, changes, custom)))
    problem = await problem_of(response, 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
    assert all(e["detail"] for e in problem["errors"])
    assert await backend.row_counts() == counts


async def test_host_of_another_department_is_refused(backend: Backend):
    counts = await backend.row_counts()
    body = body_with(backend, {"host_id": backend.world.staff_ids["paeds"],
                               "department_id": backend.world.departments["billing"]}, {})
    problem = await problem_of(await post_check_in(backend, json.dumps(body)), 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("host_id", "host_not_in_department")]
    assert await backend.row_counts() == counts


async def test_several_wrong_types_are_all_reported_in_one_answer(backend: Backend):
    counts = await backend.row_counts()
    body = body_with(backend, {"visitor_name": 123, "department_id": "5", "favourite_colour": "blue",
                               "visitor_type_id": REMOVE}, {})
    problem = await problem_of(await post_check_in(backend, json.dumps(body)), 422)
    assert set(fields_of(problem)) == {"visitor_name", "department_id", "favourite_colour", "visitor_type_id"}
    assert await backend.row_counts() == counts


async def test_several_invalid_values_are_all_reported_in_one_answer(backend: Backend):
    counts = await backend.row_counts()
    body = body_with(backend, {"department_id": 999999, "visitor_email": "helene@", "visitor_phone": "12"},
                     {"date_of_birth": REMOVE, "reason": "curiosity", "pet": "cat"})
    problem = await problem_of(await post_check_in(backend, json.dumps(body)), 422)
    assert set(fields_of(problem)) == {"department_id", "visitor_email", "visitor_phone",
                                       "custom_fields.date_of_birth", "custom_fields.reason",
                                       "custom_fields.pet"}
    assert await backend.row_counts() == counts


async def test_a_refused_check_in_does_not_use_up_its_idempotency_key(backend: Backend):
    refused = await post_check_in(backend, json.dumps(body_with(backend, {"visitor_phone": "12"}, {})),
                                  key="retry-me")
    assert refused.status == 422
    accepted = await post_check_in(backend, json.dumps(backend.check_in_body()), key="retry-me")
    assert accepted.status == 201, await accepted.text()
    assert "Idempotent-Replayed" not in accepted.headers


# --- check-in: a body that is not a check-in at all -----------------------------------------------

@pytest.mark.parametrize("raw", ['{"visitor_name": "Hélène', "", "{'visitor_name': 'Hélène'}", "not json"],
                         ids=["truncated", "empty", "single-quotes", "text"])
async def test_malformed_json_is_a_bad_request(backend: Backend, raw: str):
    counts = await backend.row_counts()
    await problem_of(await post_check_in(backend, raw), 400)
    assert await backend.row_counts() == counts


@pytest.mark.parametrize("raw", ["[]", '[{"visitor_name": "Hélène"}]', '"Hélène"', "42", "null", "true"])
async def test_json_that_is_not_an_object_is_refused(backend: Backend, raw: str):
    counts = await backend.row_counts()
    response = await post_check_in(backend, raw)
    assert response.status in (400, 422), await response.text()
    problem = await problem_of(response, response.status)
    if response.status == 422:
        assert fields_of(problem) == ["body"]
    assert await backend.row_counts() == counts


async def test_a_body_larger_than_the_limit_is_refused_as_too_large(backend: Backend):
    counts = await backend.row_counts()
    body = body_with(backend, {}, {"note": "x" * (64 * 1024)})
    await problem_of(await post_check_in(backend, json.dumps(body)), 413)
    assert await backend.row_counts() == counts


async def test_a_chunked_body_larger_than_the_limit_is_refused_as_too_large(backend: Backend):
    # No Content-Length: the limit holds while reading.
    counts = await backend.row_counts()
    raw = json.dumps(body_with(backend, {}, {"note": "x" * (64 * 1024)})).encode()

    async def chunks():
        for start in range(0, len(raw), 8192):
            yield raw[start:start + 8192]

    await problem_of(await post_check_in(backend, chunks()), 413)
    assert await backend.row_counts() == counts


async def test_a_body_sent_as_plain_text_is_refused(backend: Backend):
    counts = await backend.row_counts()
    response = await post_check_in(backend, json.dumps(backend.check_in_body()), content_type="text/plain")
    assert response.status in (400, 415), await response.text()
    await problem_of(response, response.status)
    assert await backend.row_counts() == counts


@pytest.mark.parametrize("key", [None, "", "k" * 256], ids=["missing", "empty", "256-characters"])
async def test_check_in_needs_a_sensible_idempotency_key(backend: Backend, key: str | None):
    counts = await backend.row_counts()
    problem = await problem_of(await post_check_in(backend, json.dumps(backend.check_in_body()), key=key), 400)
    assert fields_of(problem) == ["Idempotency-Key"]
    assert await backend.row_counts() == counts


async def test_an_idempotency_key_of_255_characters_is_accepted(backend: Backend):
    response = await post_check_in(backend, json.dumps(backend.check_in_body()), key="k" * 255)
    assert response.status == 201, await response.text()


# --- staff endpoints: bad bodies, queries and paths -----------------------------------------------

async def _visit(backend: Backend) -> dict[str, Any]:
    response = await backend.check_in()
    assert response.status == 201, await response.text()
    return await response.json()


async def _state(backend: Backend, visit_id: int) -> str:
    response = await backend.client.get(f"/api/visits/{visit_id}", headers=backend.auth("reception"))
    assert response.status == 200, await response.text()
    return (await response.json())["state"]


@pytest.mark.parametrize(("raw", "status", "fields"), [
    pytest.param('{"to": "gone"}', 422, ["to"], id="unknown-state"),
    pytest.param('{"to": "checked_out", "why": "done"}', 422, ["why"], id="extra-field"),
    pytest.param("{}", 422, ["to"], id="state-missing"),
    pytest.param('{"to": 3}', 422, ["to"], id="state-is-a-number"),
    pytest.param('{"to": "checked_out"', 400, [], id="malformed-json"),
])
async def test_transition_with_a_bad_body_is_refused(backend: Backend, raw: str, status: int, fields: list[str]):
    visit = await _visit(backend)
    counts = await backend.row_counts()
    response = await backend.client.post(f"/api/visits/{visit['id']}/transitions", data=raw,
                                         headers={**backend.auth("reception"), "Content-Type": "application/json"})
    problem = await problem_of(response, status)
    assert fields_of(problem) == fields
    assert await backend.row_counts() == counts
    assert await _state(backend, visit["id"]) == "checked_in"


@pytest.mark.parametrize(("query", "field"), [
    ("state=bogus", "state"),
    ("state=checked_in&state=bogus", "state"),
    ("limit=abc", "limit"),
    ("limit=-1", "limit"),
    ("limit=501", "limit"),
    ("department_id=abc", "department_id"),
    ("day=2024-13-40", "day"),
    ("day=yesterday", "day"),
    ("colour=red", "colour"),
])
async def test_visit_list_with_a_bad_filter_is_refused_naming_it(backend: Backend, query: str, field: str):
    response = await backend.client.get(f"/api/visits?{query}", headers=backend.auth("reception"))
    problem = await problem_of(response, 422)
    assert fields_of(problem) == [field]


async def test_visit_list_with_a_limit_of_zero_is_refused(backend: Backend):
    response = await backend.client.get("/api/visits?limit=0", headers=backend.auth("reception"))
    problem = await problem_of(response, 422)
    assert fields_of(problem) == ["limit"]


async def test_visit_list_with_a_digit_that_is_not_decimal_is_refused(backend: Backend):
    # "²" passes str.isdigit() but int() cannot read it.
    response = await backend.client.get("/api/visits?limit=²", headers=backend.auth("reception"))
    problem = await problem_of(response, 422)
    assert fields_of(problem) == ["limit"]


async def test_all_bad_filters_are_reported_in_one_answer(backend: Backend):
    response = await backend.client.get("/api/visits?state=bogus&limit=abc&day=2024-13-40&colour=red",
                                        headers=backend.auth("reception"))
    problem = await problem_of(response, 422)
    assert set(fields_of(problem)) == {"state", "limit", "day", "colour"}


@pytest.mark.parametrize("raw_id", ["abc", "1.5", "-1", "0x10", "9" * 19])
async def test_a_visit_id_that_is_not_a_number_is_not_found(backend: Backend, raw_id: str):
    response = await backend.client.get(f"/api/visits/{raw_id}", headers=backend.auth("reception"))
    await problem_of(response, 404)


async def test_a_visit_id_of_non_decimal_digits_is_not_found(backend: Backend):
    response = await backend.client.get("/api/visits/²", headers=backend.auth("reception"))
    await problem_of(response, 404)


async def test_a_kiosk_visit_id_that_is_not_a_number_is_not_found(backend: Backend):
    response = await backend.client.get("/api/kiosk/visits/abc", headers=backend.auth("kiosk_a"))
    await problem_of(response, 404)


async def test_a_visit_that_does_not_exist_is_not_found(backend: Backend):
    response = await backend.client.get("/api/visits/999999", headers=backend.auth("reception"))
    await problem_of(response, 404)


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/kiosk/nothing-here", "/api/visits/1/nothing"])
async def test_an_unknown_address_under_the_api_is_not_found(backend: Backend, path: str):
    response = await backend.client.get(path, headers=backend.auth("reception"))
    await problem_of(response, 404)


async def test_a_method_the_endpoint_does_not_have_is_not_allowed(backend: Backend):
    counts = await backend.row_counts()
    response = await backend.client.delete(CHECK_INS, headers=backend.auth("kiosk_a"))
    await problem_of(response, 405)
    assert "POST" in response.headers["Allow"]
    assert await backend.row_counts() == counts


# --- moves the state machine does not allow -------------------------------------------------------

async def _visit_in(backend: Backend, *path: str) -> int:
    """A new visit moved along `path` by reception."""
    visit = await _visit(backend)
    for to in path:
        response = await backend.client.post(f"/api/visits/{visit['id']}/transitions", json={"to": to},
                                             headers=backend.auth("reception"))
        assert response.status == 200, await response.text()
    return visit["id"]


async def _transition(backend: Backend, visit_id: int, to: str) -> ClientResponse:
    return await backend.client.post(f"/api/visits/{visit_id}/transitions", json={"to": to},
                                     headers=backend.auth("reception"))


@pytest.mark.parametrize("to", list(VisitState))
async def test_a_checked_out_visit_cannot_move_again(backend: Backend, to: VisitState):
    visit_id = await _visit_in(backend, "checked_out")
    counts = await backend.row_counts()
    await problem_of(await _transition(backend, visit_id, to), 409)
    assert await backend.row_counts() == counts
    assert await _state(backend, visit_id) == "checked_out"


@pytest.mark.parametrize(("path", "to"), [
    pytest.param((), "checked_in", id="checked_in-to-checked_in"),
    pytest.param(("in_meeting",), "acknowledged", id="in_meeting-to-acknowledged"),
    pytest.param(("in_meeting",), "checked_in", id="in_meeting-to-checked_in"),
    pytest.param(("in_meeting",), "no_show", id="in_meeting-to-no_show"),
    pytest.param(("acknowledged",), "acknowledged", id="acknowledged-to-acknowledged"),
    pytest.param(("cancelled",), "checked_out", id="cancelled-to-checked_out"),
    pytest.param(("cancelled",), "checked_in", id="cancelled-to-checked_in"),
    pytest.param(("no_show",), "checked_in", id="no_show-to-checked_in"),
    pytest.param(("checked_out",), "no_show", id="checked_out-to-no_show"),
])
async def test_a_move_the_state_machine_does_not_allow_is_a_conflict(backend: Backend, path: tuple[str, ...],
                                                                     to: str):
    visit_id = await _visit_in(backend, *path)
    state = await _state(backend, visit_id)
    counts = await backend.row_counts()
    await problem_of(await _transition(backend, visit_id, to), 409)
    assert await backend.row_counts() == counts
    assert await _state(backend, visit_id) == state


async def test_an_acknowledged_visitor_may_still_be_a_no_show(backend: Backend):
    visit_id = await _visit_in(backend, "acknowledged")
    response = await _transition(backend, visit_id, "no_show")
    assert response.status == 200, await response.text()
    assert (await response.json())["state"] == "no_show"


async def test_acknowledging_a_visit_already_in_a_meeting_is_a_conflict(backend: Backend):
    visit_id = await _visit_in(backend, "in_meeting")
    counts = await backend.row_counts()
    response = await backend.client.post(f"/api/visits/{visit_id}/acknowledge", headers=backend.auth("billing"))
    await problem_of(response, 409)
    assert await backend.row_counts() == counts
    assert await _state(backend, visit_id) == "in_meeting"


@pytest.mark.parametrize("path", [("cancelled",), ("no_show",)], ids=["cancelled", "no_show"])
async def test_the_kiosk_cannot_check_out_a_visit_that_ended_otherwise(backend: Backend, path: tuple[str, ...]):
    visit_id = await _visit_in(backend, *path)
    counts = await backend.row_counts()
    response = await backend.client.post(f"/api/kiosk/visits/{visit_id}/check-out", headers=backend.auth("kiosk_a"))
    await problem_of(response, 409)
    assert await backend.row_counts() == counts
    assert await _state(backend, visit_id) == path[-1]
