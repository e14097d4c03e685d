"""Real local receivers for the notifier tests: an HTTP server and an SMTP server on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.smtp import SMTP, AuthResult


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class HttpReceiver:
    """Records every POST; answers from a script of (status, headers, body), then 200 "ok"."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.script: deque[tuple[int, dict, str]] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Request(self.path, {k: v for k, v in self.headers.items()}, body))
                status, headers, text = receiver.script.popleft() if receiver.script else (200, {}, "ok")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                payload = text.encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "HttpReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class SmtpReceiver:
    """An SMTP server (aiosmtpd's protocol on our own event loop, so it can bind port 0). `answers` scripts the reply
    to DATA (e.g. "451 try again later"); afterwards every message is accepted and kept."""

    username: str | None = None
    password: str | None = None
    answers: deque = field(default_factory=deque)
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.answers:
            return self.answers.popleft()
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == self.username and auth_data.password.decode() == self.password
        return AuthResult(success=ok)

    def __enter__(self) -> "SmtpReceiver":
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        auth = dict(authenticator=self._authenticate, auth_require_tls=False) if self.username else {}
        factory = lambda: SMTP(self, hostname="apex-test", **auth)  # noqa: E731
        self.server = asyncio.run_coroutine_threadsafe(self.loop.create_server(factory, "127.0.0.1", 0),
                                                       self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _close(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    def __exit__(self, *exc) -> None:
        # Close on the loop's own thread: asyncio's Server is not thread-safe, and closing it from here raced the
        # loop's handling of the client's disconnect (both woke the waiters; the second found them gone).
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
