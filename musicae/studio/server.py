"""The studio's HTTP side: one page, its static files, and a small JSON API (see the README).

- only the package's own static files are served, looked up by name in a fixed table: a path from the
  client never reaches the filesystem;
- models are chosen by shipped name (or `custom`, the --checkpoint given at start);
- uploads over the limit are answered 413 before their body is read, bad input 400 {"error": ...};
- inference runs in a thread pool sized to the machine, so one slow request does not block the others, and
  a request whose client has left is taken off the queue.
"""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from musicae.studio.mixer import point, render_wav
from musicae.studio.multitrack_panel import multitrack, multitrack_examples
from musicae.studio.service import Studio, StudioError, static_dir, transform_melody

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
DEFAULT_MAX_UPLOAD_MB = 2.0


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_SEED = 2**63 - 1
CLIENT_GONE = 499  # nginx's "client closed request": nobody reads it, the log does


def host_name(value: str) -> str:
    """The host of a Host header or an Origin's netloc, without its port ("[::1]:8765" -> "::1")."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


async def client_leaves(request: Request) -> None:
    """Returns when the client disconnects: with the body read, the next message the server gives is that."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


class BodyLimit:
    """Counts a request's body as it streams in and stops reading at the limit, answering 413: a chunked upload
    has no Content-Length to refuse it by, and must not be read (or spooled to disk) whole first. The
    outermost layer: past the limit the app is told the client left, and whatever it answers is replaced."""

    def __init__(self, app, limit: int, megabytes: float):
        self.app, self.limit, self.megabytes = app, limit, megabytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = {"received": 0, "over": False, "answered": False}

        async def counted():
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def too_large():
            if not state["answered"]:
                state["answered"] = True
                body = json.dumps({"error": f"upload over the {self.megabytes:g} MB limit"}).encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})

        async def guarded(message):
            if state["over"]:
                await too_large()
            else:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not state["over"]:
                raise
            await too_large()


def create_app(checkpoint: str | None = None, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
               workers: int | None = None, hosts: tuple[str, ...] = LOOPBACK_HOSTS) -> FastAPI:
    """`hosts`: the names the studio answers to (the Host header, and the Origin of a page that posts); any
    other is refused, so that neither another web site (cross-site forms) nor a rebound DNS name reaches it."""
    studio = Studio(checkpoint)
    pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="studio")
    limit = int(max_upload_mb * 1024 * 1024)
    files = {p.name: (p.read_bytes(), CONTENT_TYPES[p.suffix]) for p in static_dir().iterdir()
             if p.suffix in CONTENT_TYPES}
    app = FastAPI(title="musicae studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.studio = studio

    light = ThreadPoolExecutor(max_workers=2, thread_name_prefix="studio-light")  # lists: never behind inference

    async def run_light(function):
        return await asyncio.get_running_loop().run_in_executor(light, function)

    async def run(request: Request, function, *args, **kwargs):
        """`function` on the inference pool; a request whose client leaves while it waits is taken off the
        queue (a job already running finishes, and its answer is not sent)."""
        job = pool.submit(partial(function, *args, **kwargs))
        answer, leaving = asyncio.wrap_future(job), asyncio.ensure_future(client_leaves(request))
        try:
            await asyncio.wait({answer, leaving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            leaving.cancel()
        if not answer.done():
            job.cancel()
            answer.add_done_callback(lambda done: done.cancelled() or done.exception())  # nobody reads it
            return Response(status_code=CLIENT_GONE)
        try:
            return answer.result()
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=400)

    allowed = {h.lower() for h in hosts}

    @app.middleware("http")
    async def same_origin(request: Request, call_next):
        host = host_name(request.headers.get("host", ""))
        if host not in allowed:
            return JSONResponse({"error": f"this studio answers to {', '.join(sorted(allowed))}, not {host!r}"},
                                status_code=421)
        origin = request.headers.get("origin")
        if request.method not in ("GET", "HEAD") and origin is not None:
            netloc = origin.split("://", 1)[-1]
            if origin == "null" or host_name(netloc) not in allowed:
                return JSONResponse({"error": "a request from another site is refused"}, status_code=403)
        return await call_next(request)

    @app.middleware("http")
    async def upload_limit(request: Request, call_next):
        length = request.headers.get("content-length")
        if request.method == "POST" and length and length.isdigit() and int(length) > limit:
            return JSONResponse({"error": f"upload of {int(length)} bytes is over the {max_upload_mb:g} MB limit"},
                                status_code=413)
        return await call_next(request)

    async def read(upload: UploadFile | None) -> tuple[bytes | None, str]:
        if upload is None:
            return None, ""
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise StudioError(f"{upload.filename}: over the {max_upload_mb:g} MB limit")
        return data, upload.filename or "upload"

    @app.get("/")
    async def index():
        body, kind = files["index.html"]
        return Response(body, media_type=kind)

    @app.get("/static/{name}")
    async def static(name: str):
        if name not in files:
            return JSONResponse({"error": "not found"}, status_code=404)
        body, kind = files[name]
        return Response(body, media_type=kind)

    @app.get("/api/models")
    async def models():
        return await run_light(studio.models)

    @app.get("/api/examples")
    async def examples(kind: str | None = None):
        if kind not in (None, "melody", "drums"):
            return JSONResponse({"error": "kind: melody or drums"}, status_code=400)
        return await run_light(lambda: sorted(studio.example_names(kind)))

    @app.post("/api/groove")
    async def groove(request: Request, a: UploadFile | None = File(None), example_a: str | None = Form(None),
                     model: str | None = Form(None), temperature: float = Form(0.0), seed: int = Form(0)):
        try:
            data, name = await read(a)
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=413)
        return await run(request, studio.groove, data, name or "A", example_a, model, temperature, seed)

    @app.post("/api/interpolate")
    async def interpolate(request: Request, a: UploadFile | None = File(None), b: UploadFile | None = File(None),
                          steps: int = Form(5), model: str | None = Form(None), chords: str | None = Form(None),
                          example_a: str | None = Form(None), example_b: str | None = Form(None),
                          temperature: float | None = Form(None), seed: int = Form(0), bar_a: int = Form(0),
                          bar_b: int = Form(0)):
        try:
            (data_a, name_a), (data_b, name_b) = await read(a), await read(b)
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=413)
        return await run(request, studio.interpolate, data_a, name_a or "A", data_b, name_b or "B", steps, model,
                         example_a, example_b, temperature, seed, chords, bar_a, bar_b)

    @app.post("/api/sample")
    async def sample(request: Request, n: int = Form(4), temperature: float = Form(0.5),
                     model: str | None = Form(None), seed: int = Form(0), chords: str | None = Form(None)):
        return await run(request, studio.sample, n, temperature, model, seed, chords)

    @app.post("/api/similar")
    async def similar(request: Request, a: UploadFile | None = File(None), example_a: str | None = Form(None),
                      n: int = Form(4), similarity: float = Form(0.8), model: str | None = Form(None),
                      seed: int = Form(0)):
        try:
            data, name = await read(a)
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=413)
        return await run(request, studio.similar, data, name or "A", example_a, n, similarity, model, seed)

    @app.post("/api/transform")
    async def transform(request: Request, a: UploadFile | None = File(None), example_a: str | None = Form(None),
                        model: str | None = Form(None)):
        form = await request.form()
        try:
            amounts = {key[len("amount_"):]: float(value) for key, value in form.items() if key.startswith("amount_")}
        except ValueError:
            return JSONResponse({"error": "amount_* fields must be numbers"}, status_code=400)
        try:
            data, name = await read(a)
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=413)
        return await run(request, transform_melody, studio, data, name or "A", example_a, amounts, model)

    @app.post("/api/render")
    async def render(request: Request, midi: str = Form(...), qpm: float = Form(120.0)):
        return await run(request, render_wav, midi, qpm)

    @app.post("/api/point")
    async def mixer_point(request: Request, x: float = Form(...), y: float | None = Form(None),
                          a: UploadFile | None = File(None), b: UploadFile | None = File(None),
                          example_a: str | None = Form(None), example_b: str | None = Form(None),
                          example_c: str | None = Form(None), example_d: str | None = Form(None),
                          model: str | None = Form(None), temperature: float = Form(0.0), seed: int = Form(0)):
        try:
            (data_a, name_a), (data_b, name_b) = await read(a), await read(b)
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=413)
        inputs = [(data_a, name_a or "A", example_a), (data_b, name_b or "B", example_b)]
        if example_c is not None or example_d is not None:
            inputs += [(None, "C", example_c), (None, "D", example_d)]
        return await run(request, point, studio, inputs, x, y, model, temperature, seed)

    @app.post("/api/multitrack")
    async def multitrack_panel(request: Request, action: str = Form(...), a: UploadFile | None = File(None),
                               example_a: str | None = Form(None), model: str | None = Form(None),
                               bars: int = Form(4), temperature: float = Form(0.2), seed: int = Form(0),
                               chords: str | None = Form(None), measure_a: int | None = Form(None),
                               measure_b: int | None = Form(None), n: int = Form(4)):
        try:
            data, name = await read(a)
        except StudioError as err:
            return JSONResponse({"error": str(err)}, status_code=413)
        return await run(request, multitrack, studio, action, model, data, name or "upload", example_a, bars,
                         temperature, seed, chords or None, measure_a, measure_b, n)

    @app.get("/api/multitrack/examples")
    async def multitrack_example_names():
        return await run_light(lambda: sorted(multitrack_examples(studio)))

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e.get('loc', ())[1:]))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse({"error": f"bad request ({problems})"}, status_code=400)

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        return JSONResponse({"error": "not found"}, status_code=404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # multipart parse errors among them
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.on_event("shutdown")
    def drop_queued_work():  # a stopping server does not work through a queue of requests nobody waits for
        pool.shutdown(wait=False, cancel_futures=True)
        light.shutdown(wait=False, cancel_futures=True)

    app.add_middleware(BodyLimit, limit=limit, megabytes=max_upload_mb)  # added last: the outermost layer
    return app
