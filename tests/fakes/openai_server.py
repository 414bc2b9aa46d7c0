"""A scripted fake of the OpenAI Chat Completions and Anthropic Messages APIs over real loopback HTTP.

Tests script the replies, point a provider's ``base_url`` at the server and assert on what was
sent and what came back::

    with FakeLLMServer() as server:
        server.script(Reply.error(500), Reply.tool_call({"score": 7}))
        ...  # OpenAIProvider(base_url=server.openai_base_url, ...)
        assert len(server.requests) == 2

Each request takes the next scripted :class:`Reply`; when the script runs out the server answers
500 "script exhausted", so a test that makes more calls than it planned fails loudly. Both
``POST /v1/chat/completions`` (OpenAI) and ``POST /v1/messages`` (Anthropic) are served; a
tool-call reply uses the name of the first tool in the request, which is how pydantic-ai asks for
structured output. An Anthropic request with ``"stream": true`` (pydantic-ai streams those) gets
the same answer as server-sent events.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = ["FakeLLMServer", "RecordedRequest", "Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    Attributes:
        status: HTTP status.
        tool_args: For a 200: answer with a call to the request's first tool with these arguments.
        text: For a 200: answer with this assistant text (no tool call, e.g. a refusal).
        error: For an error status: the provider-style error message.
        raw: Bytes sent verbatim instead of JSON (malformed responses).
        delay: Seconds to wait before answering.
        headers: Extra response headers (e.g. ``retry-after``).
        usage: ``(input_tokens, output_tokens)`` reported for a 200.
    """

    status: int = 200
    tool_args: dict[str, Any] | None = None
    text: str | None = None
    error: str = "error"
    raw: bytes | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    usage: tuple[int, int] = (10, 5)

    @classmethod
    def tool_call(
        cls, args: dict[str, Any], *, usage: tuple[int, int] = (10, 5), delay: float = 0.0
    ) -> Reply:
        """A structured answer: the first tool in the request called with ``args``."""
        return cls(tool_args=args, usage=usage, delay=delay)

    @classmethod
    def plain_text(cls, text: str) -> Reply:
        """An answer in prose with no tool call."""
        return cls(text=text)

    @classmethod
    def failure(cls, status: int, message: str = "error", *, headers: dict[str, str] | None = None) -> Reply:
        """An error response with a provider-shaped JSON body."""
        return cls(status=status, error=message, headers=headers or {})

    @classmethod
    def malformed(cls, body: bytes = b'{"choices": [ not json') -> Reply:
        """A 200 whose body is not valid JSON."""
        return cls(raw=body)


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class FakeLLMServer:
    """A threaded HTTP server on 127.0.0.1 with a free port, serving scripted replies."""

    def __init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the Anthropic base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        """The OpenAI-style base URL, ending in ``/v1``."""
        return f"{self.url}/v1"

    def script(self, *replies: Reply) -> None:
        """Append replies to the queue, answered in order."""
        with self._lock:
            self._script.extend(replies)

    def start(self) -> Self:
        """Serve on a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _next(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
        return Reply.failure(500, "fake server: script exhausted")


def _make_handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            anthropic = self.path.rstrip("/").endswith("/messages")
            if not (anthropic or self.path.rstrip("/").endswith("/chat/completions")):
                self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                return
            recorded = RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            reply = server._next(recorded)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.raw is not None:
                self._send_bytes(reply.status, reply.raw, reply.headers)
            elif reply.status != 200:
                self._send(reply.status, _error_body(reply, anthropic=anthropic), reply.headers)
            elif anthropic and body.get("stream"):
                headers = {"content-type": "text/event-stream", **reply.headers}
                self._send_bytes(200, _anthropic_stream(_anthropic_body(reply, body)), headers)
            elif anthropic:
                self._send(200, _anthropic_body(reply, body), reply.headers)
            else:
                self._send(200, _openai_body(reply, body), reply.headers)

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
            self._send_bytes(status, json.dumps(payload).encode(), headers)

        def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                if "content-type" not in headers:
                    self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                # Tell the SDKs not to retry on their own: the router under test owns retries.
                self.send_header("x-should-retry", "false")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

    return Handler


def _error_body(reply: Reply, *, anthropic: bool) -> dict[str, Any]:
    if anthropic:
        kind = _ANTHROPIC_ERROR_TYPES.get(reply.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": reply.error}}
    code = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(reply.status)
    return {"error": {"message": reply.error, "type": "error", "code": code, "param": None}}


def _first_tool(request: dict[str, Any], *, anthropic: bool) -> str | None:
    tools = request.get("tools") or []
    if not tools:
        return None
    first = tools[0]
    return str(first["name"] if anthropic else first["function"]["name"])


def _openai_body(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    tool = _first_tool(request, anthropic=False)
    if reply.tool_args is not None and tool is not None:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": tool, "arguments": json.dumps(reply.tool_args)},
            }
        ]
        finish = "tool_calls"
    elif reply.tool_args is not None:  # native structured output: the JSON is the content
        message["content"] = json.dumps(reply.tool_args)
    else:
        message["content"] = reply.text or ""
    prompt_tokens, completion_tokens = reply.usage
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _anthropic_body(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    tool = _first_tool(request, anthropic=True)
    if reply.tool_args is not None and tool is not None:
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_1", "name": tool, "input": reply.tool_args}
        ]
        stop = "tool_use"
    else:
        text = json.dumps(reply.tool_args) if reply.tool_args is not None else reply.text or ""
        content = [{"type": "text", "text": text}]
        stop = "end_turn"
    input_tokens, output_tokens = reply.usage
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.get("model", "fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


def _anthropic_stream(message: dict[str, Any]) -> bytes:
    """The events Anthropic streams for ``message``: start, one block each, delta, stop."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                **message,
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 0},
            },
        }
    ]
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            start = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        events += [
            {"type": "content_block_start", "index": index, "content_block": start},
            {"type": "content_block_delta", "index": index, "delta": delta},
            {"type": "content_block_stop", "index": index},
        ]
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        },
        {"type": "message_stop"},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()
