"""Schemathesis hooks for tests/tests/schemathesis.rs (SCHEMATHESIS_HOOKS=<this file>).

`envelope_on_4xx`: every 4xx reply is the services' error envelope
`{success: false, message, code}` (JSON, `code` a non-empty string), never axum's
plain-text rejection or an empty body. 304 and 2xx are left to the other checks.
"""

import json

import schemathesis


@schemathesis.check
def envelope_on_4xx(ctx, response, case):
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"{response.status_code} is not JSON: {response.content[:200]!r}"
        )
    if not isinstance(body, dict):
        raise AssertionError(f"{response.status_code} body is not an object: {body!r}")
    if body.get("success") is not False:
        raise AssertionError(f"{response.status_code} without success: false: {body!r}")
    if not isinstance(body.get("message"), str):
        raise AssertionError(f"{response.status_code} without a message: {body!r}")
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise AssertionError(f"{response.status_code} without a code: {body!r}")
    return True
