"""Schemathesis hooks for `npm run test:schemathesis` (test/chaos/schemathesis.ts sets SCHEMATHESIS_HOOKS).

POST /signups refuses a signup whose `occurred_at` lies more than 5 minutes after the time it is received
(422 naming /occurred_at; shared/signup/event-time.ts). The OpenAPI document says so in the field's
description, but JSON Schema cannot compare a date with the clock, so a generated `2099-...` is
"schema-valid" and positive_data_acceptance would call its 422 a bug. This hook moves such dates into
the past; every other part of every case (negative ones included) is left exactly as generated.
"""

from datetime import datetime, timezone

import schemathesis

PAST = "2000-01-01T00:00:00Z"


def _in_future(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    return moment > datetime.now(timezone.utc)


def _with_past_dates(item: object) -> object:
    if isinstance(item, dict) and _in_future(item.get("occurred_at")):
        return {**item, "occurred_at": PAST}
    return item


@schemathesis.hook
def map_body(ctx, body):
    operation = getattr(ctx, "operation", None)
    if getattr(operation, "path", None) != "/signups":
        return body
    if isinstance(body, list):
        return [_with_past_dates(item) for item in body]
    return _with_past_dates(body)
