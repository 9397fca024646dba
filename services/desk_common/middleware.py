"""ASGI middleware both apps use: a cap on request bodies (the access log by route is metrics.ResponseMetrics)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desk_common.errors import error_response

MAX_JSON_BODY_BYTES = 64 * 1024


class BodyLimit:
    """413 `request_too_large` for a body over `max_bytes`, by Content-Length or as it streams in.

    The body is read here (at most `max_bytes` + one chunk) and replayed to the app, so no route reads an
    unbounded body and the 413 keeps the standard error shape. Paths under `exempt_prefixes` keep their
    own cap (ticket_link's webhooks: 1 MB, checked in their dependency)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_JSON_BODY_BYTES, exempt_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response("request_too_large", f"request body over {self.max_bytes} bytes", 413)
        await response(scope, receive, send)
