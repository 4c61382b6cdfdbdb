"""`musicae studio`: serve the page and the API on loopback."""

from __future__ import annotations

import sys

from musicae.autoencoding.cli import positive_float, positive_int

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_studio(args) -> int:
    import uvicorn

    from musicae.studio.server import create_app

    if args.host not in LOOPBACK:
        print(f"warning: --host {args.host} serves the studio to other machines; it has no authentication",
              file=sys.stderr)
    _check_free(args.host, args.port)
    hosts = tuple(dict.fromkeys((*LOOPBACK, args.host, *args.allow_host)))
    app = create_app(args.checkpoint, args.max_upload_mb, args.workers, hosts=hosts)
    if args.checkpoint:
        app.state.studio.model("custom")  # a bad --checkpoint fails now, in one line, not at the first request
    print(f"musicae studio: http://{args.host}:{args.port}/  (Ctrl-C stops it)", file=sys.stderr)
    # SIGTERM: requests in flight get 5 s, then the server stops (queued work is dropped, see create_app)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=5)
    return 0


def _check_free(host: str, port: int) -> None:
    """Refuse, in one line, an address another program holds (uvicorn would say so after our banner)."""
    import socket

    from musicae.autoencoding.config import ConfigError

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as err:
        reason = (err.strerror or str(err)).split(" (while")[0]
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({reason}); choose another --port or "
                          f"--host") from None


def add_studio(sub) -> None:
    p = sub.add_parser("studio", help="a local page to hear, see and steer the models (interpolate, sample, similar)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=positive_int, default=8765)
    p.add_argument("--checkpoint", help="serve this checkpoint as model `custom` instead of the shipped models")
    p.add_argument("--max-upload-mb", type=positive_float, default=2.0, help="larger uploads are answered 413")
    p.add_argument("--workers", type=positive_int, default=None, help="inference threads (default: one per core)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another name the page may be reached by (with --host 0.0.0.0: the machine's name or "
                        "address); requests naming any other Host, or posted from another site, are refused")
    p.set_defaults(func=cmd_studio)
