"""Handler deployed by every benchmark workload (both sides use the same code)."""

import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
