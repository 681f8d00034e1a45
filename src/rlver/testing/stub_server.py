"""A real, local OpenAI-compatible chat server that answers from a script.

Used by the tests and benchmarks to exercise the real HTTP client, simulator, loop and CLI without a
model: ``POST /v1/chat/completions`` returns whatever the ``responder`` decides for that request
(text, an HTTP error, a Retry-After header, a delay). Binds to 127.0.0.1 only.

    with StubChatServer(lambda req: "Change: +5") as server:
        client = OpenAIChatClient(base_url=server.base_url, model="stub")
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Sequence
from typing import Any, Callable

__all__ = ["StubResponse", "StubChatServer"]


@dataclass(frozen=True)
class StubResponse:
    """One scripted answer."""

    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (simulates model latency or a hung server)."""
    body: str | None = None
    """Raw body to send instead of a well-formed completion (for malformed-response tests)."""


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) makes a burst of concurrent connects wait for SYN retries (~1 s).
    request_queue_size = 1024


Responder = Callable[[dict[str, Any]], "StubResponse | str"]


class StubChatServer:
    """Threaded HTTP server on 127.0.0.1 with an ephemeral port. Use as a context manager."""

    def __init__(
        self,
        responder: Responder,
        *,
        latency: float = 0.0,
        model: str = "stub-model",
        served_models: Sequence[str] = (),
        models_status: int = 200,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.model = model
        self.served_models = tuple(served_models)
        """Ids listed by ``GET /models`` (empty: a server that lists none, so any name passes)."""
        self.models_status = models_status
        """Status of ``GET /models`` (404: a server without that route)."""
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.probes: list[dict[str, str]] = []
        """Headers of every ``GET`` (preflight probes), kept apart from the chat requests."""
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, name="stub-chat-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "StubChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)  # fast shutdown in tests

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # otherwise delayed ACKs add ~40 ms per request

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # /v1/models, for clients that probe it
                with stub._lock:
                    stub.probes.append({k.lower(): v for k, v in self.headers.items()})
                if not self.path.rstrip("/").endswith("/models") or stub.models_status == 404:
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}), {})
                    return
                if stub.models_status != 200:
                    self._send(stub.models_status, json.dumps({"error": {"message": "refused"}}), {})
                    return
                data = [{"id": name, "object": "model"} for name in stub.served_models]
                self._send(200, json.dumps({"object": "list", "data": data}), {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw)
                except json.JSONDecodeError:
                    self._send(400, json.dumps({"error": {"message": "bad json"}}), {})
                    return
                with stub._lock:
                    stub.requests.append(request)
                    stub.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                answer = stub.responder(request)
                if isinstance(answer, str):
                    answer = StubResponse(text=answer)
                wait = stub.latency + answer.delay
                if wait:
                    time.sleep(wait)
                if answer.body is not None:
                    body = answer.body
                elif answer.status == 200:
                    body = json.dumps(_completion(request, answer.text, stub.model))
                else:
                    body = json.dumps({"error": {"message": answer.text or f"status {answer.status}"}})
                try:
                    self._send(answer.status, body, answer.headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test); nothing to deliver

            def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _completion(request: dict[str, Any], text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", model),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
