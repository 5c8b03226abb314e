"""Readiness probe for the fakesnow emulator behind the Node-driver shim: a real client round trip.

Logs in, runs SELECT 1 and checks the answer is in the form the Node snowflake-sdk reads (a JSON
`rowset` and a `returned` count, which only the shim adds), then closes the session.
Exit 0 when ready, 1 otherwise. Usage: python ready.py PORT
"""

from __future__ import annotations

import json
import sys
import urllib.request


def post(url: str, body: dict | None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f'Snowflake Token="{token}"'
    data = json.dumps(body or {}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=5) as response:
        return json.loads(response.read())


def main() -> int:
    base = f"http://127.0.0.1:{int(sys.argv[1])}"
    login = post(
        f"{base}/session/v1/login-request?databaseName=SLUICE_READY&schemaName=PUBLIC",
        {"data": {"LOGIN_NAME": "ready", "PASSWORD": "ready", "SESSION_PARAMETERS": {}}},
    )
    token = login["data"]["token"]
    try:
        result = post(f"{base}/queries/v1/query-request", {"sqlText": "SELECT 1 AS READY"}, token)
        data = result.get("data") or {}
        ok = result.get("success") and data.get("rowset") == [["1"]] and data.get("returned") == 1
    finally:
        post(f"{base}/session?delete=true", None, token)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # any failure means "not ready yet"
        print(f"not ready: {error}", file=sys.stderr)
        sys.exit(1)
