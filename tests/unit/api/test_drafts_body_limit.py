"""Approving a draft reads its (optional) body within the API's body limit: a chunked body with
no Content-Length is refused 413 as soon as it passes the limit, not read whole into memory."""

from __future__ import annotations

import asyncio
from typing import Any

from leadflow.api import create_insecure_app
from leadflow.runtime import Runtime

CHUNK = b" " * 250_000  # JSON whitespace
CHUNKS = 40  # 10 MB in all, ten times the default limit


def test_a_chunked_approve_body_is_cut_off_at_the_limit(runtime: Runtime) -> None:
    app = create_insecure_app(runtime)
    received = {"chunks": 0}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received["chunks"] += 1
        more = received["chunks"] < CHUNKS
        return {"type": "http.request", "body": CHUNK, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/drafts/1/approve", "raw_path": b"/v1/drafts/1/approve",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")]}
    asyncio.run(app(scope, receive, send))
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] == 413
    assert received["chunks"] <= 1_000_000 // len(CHUNK) + 1  # stopped just past the limit
