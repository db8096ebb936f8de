"""Error codes: one enum (egov.codes.ErrorCode), documented in the OpenAPI schema."""

import pytest

from egov.codes import ErrorCode
from egov.errors import ConflictError, ValidationFailed


def test_an_error_with_a_code_missing_from_the_enum_is_refused_when_raised():
    with pytest.raises(ValueError):
        ConflictError("x", code="no_such_code")
    assert ConflictError("x", code="invalid_transition").code is ErrorCode.INVALID_TRANSITION
    assert ValidationFailed().code == "invalid"


def test_the_schema_lists_every_error_code_with_its_meaning(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert set(components["ErrorCodeEnum"]["enum"]) == {c.value for c in ErrorCode}
    code = components["Error"]["properties"]["code"]
    assert code["allOf"] == [{"$ref": "#/components/schemas/ErrorCodeEnum"}]
    assert "`duplicate_decision_required`: A likely duplicate" in code["description"]
    # The API's operations answer with that one error body.
    tracking = schema["paths"]["/api/v1/tracking/"]["get"]["responses"]["404"]
    assert tracking["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_an_api_error_answers_with_a_code_of_the_enum(client, db):
    response = client.get("/api/v1/tracking/", {"code": "X"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] in {c.value for c in ErrorCode}
    assert set(body) == {"code", "message", "data"}
