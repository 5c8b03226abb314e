"""Serve fakesnow's Snowflake REST emulation so the Node.js snowflake-sdk can talk to it.

fakesnow (PyPI, pinned 0.12.1) is written for the Python connector. Two of its answers stop the
Node driver, so this loopback shim runs fakesnow's Starlette app in-process and rewrites the
query responses (it also adds the output-format parameters a real server sends, and patches two
fakesnow bugs, see record_only_real_table_comments and escape_recorded_names):

  * `data.returned` is missing: the Node driver reads `returned` to know how many rows arrived
    inline and waits forever without it. It is set to the number of rows in the rowset.
  * Result sets come as Arrow IPC in `rowsetBase64`; the Node driver reads the JSON `rowset`.
    The Arrow table is decoded and re-encoded in Snowflake's JSON result format (every cell a
    string: FIXED as decimal text, DATE as days since epoch, TIME as seconds since midnight,
    TIMESTAMP_* as epoch seconds with nine fraction digits, TIMESTAMP_TZ followed by the
    time-zone index (offset minutes + 1440), BINARY as upper-case hex).

Usage: python shim.py --host 127.0.0.1 --port 8085
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa
import uvicorn

import fakesnow.info_schema
import fakesnow.server
import fakesnow.transforms

QUERY_PATH = "/queries/v1/query-request"
EPOCH_DAY = datetime.date(1970, 1, 1)
# Snowflake's defaults for the output-format parameters a real server sends with every result;
# the Node driver formats BINARY and date/time values with them and fails when they are absent.
DEFAULT_OUTPUT_PARAMETERS = {
    "BINARY_OUTPUT_FORMAT": "HEX",
    "DATE_OUTPUT_FORMAT": "YYYY-MM-DD",
    "TIME_OUTPUT_FORMAT": "HH24:MI:SS",
    "TIMESTAMP_OUTPUT_FORMAT": "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM",
    "TIMESTAMP_NTZ_OUTPUT_FORMAT": "YYYY-MM-DD HH24:MI:SS.FF3",
}


def epoch_nanos_text(nanos: int) -> str:
    sign = "-" if nanos < 0 else ""
    seconds, fraction = divmod(abs(nanos), 1_000_000_000)
    return f"{sign}{seconds}.{fraction:09d}"


def cell_text(value: Any, column_type: str) -> str | None:
    if value is None:
        return None
    if column_type in ("timestamp_ntz", "timestamp_ltz", "timestamp_tz"):
        text = epoch_nanos_text(value["epoch"] * 1_000_000_000 + value["fraction"])
        return f"{text} {value.get('timezone', 1440)}" if column_type == "timestamp_tz" else text
    if column_type == "time":
        return epoch_nanos_text(int(value))
    if column_type == "date":
        return str((value - EPOCH_DAY).days)
    if column_type == "boolean":
        return "1" if value else "0"
    if column_type == "binary":
        return bytes(value).hex().upper()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def arrow_to_json_rowset(rowset_base64: str, rowtype: list[dict[str, Any]]) -> list[list[str | None]]:
    if not rowset_base64:
        return []
    table = pa.ipc.open_stream(base64.b64decode(rowset_base64)).read_all()
    types = [str(column["type"]).lower() for column in rowtype]
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [[cell_text(value, types[i]) for i, value in enumerate(row)] for row in zip(*columns)]


def rewrite_query_response(body: bytes) -> bytes:
    response = json.loads(body)
    data = response.get("data")
    if not response.get("success") or not isinstance(data, dict):
        return body
    if data.get("queryResultFormat") == "arrow":
        data["rowset"] = arrow_to_json_rowset(data.pop("rowsetBase64", ""), data.get("rowtype", []))
        data["queryResultFormat"] = "json"
    if "rowset" in data:
        data["returned"] = len(data["rowset"])
    parameters = data.setdefault("parameters", [])
    present = {parameter.get("name") for parameter in parameters}
    parameters.extend({"name": n, "value": v} for n, v in DEFAULT_OUTPUT_PARAMETERS.items() if n not in present)
    return json.dumps(response).encode()


def record_only_real_table_comments() -> None:
    """Let MERGE and CREATE TABLE run inside BEGIN ... COMMIT, as they do on Snowflake.

    fakesnow 0.12.1 records a table comment row in its `_fs_global` catalog for every CREATE
    TABLE, even one without a comment, and MERGE creates a temporary table for its candidates.
    DuckDB refuses a transaction that writes two attached databases, so any MERGE after BEGIN
    failed. Only a statement that really carries a comment records one now.
    """
    extract = fakesnow.transforms.extract_comment_on_table

    def extract_real_comments(expression: Any) -> Any:
        transformed = extract(expression)
        table_comment = transformed.args.get("table_comment")
        if table_comment is not None and table_comment[1] is None:
            del transformed.args["table_comment"]
        return transformed

    fakesnow.transforms.extract_comment_on_table = extract_real_comments


def escape_recorded_names() -> None:
    """Let tables have column names with a single quote, as Snowflake allows (e.g. "it's").

    fakesnow 0.12.1 records every VARCHAR column's length in its catalog with an INSERT that puts
    the table and column names inside SQL string literals unescaped, so CREATE TABLE failed with
    "unterminated string literal". The names are escaped now; the recorded rows are unchanged.
    """
    record = fakesnow.info_schema.insert_text_lengths_sql

    def literal(text: str) -> str:
        return text.replace("'", "''")

    def record_escaped(catalog: str, schema: str, table: str, text_lengths: list[tuple[str, int]]) -> str:
        escaped = [(literal(name), size) for name, size in text_lengths]
        return record(literal(catalog), literal(schema), literal(table), escaped)

    fakesnow.info_schema.insert_text_lengths_sql = record_escaped


class NodeDriverShim:
    """ASGI wrapper: buffers query responses and rewrites them; passes everything else through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != QUERY_PATH:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = rewrite_query_response(b"".join(chunks))
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, capture)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the emulator listens on loopback only")
    record_only_real_table_comments()
    escape_recorded_names()
    uvicorn.run(NodeDriverShim(fakesnow.server.app), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
