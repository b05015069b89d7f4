"""``unspin serve``: a local web page where editors paste or upload an article and fix it."""

from __future__ import annotations

import re

import click

from .common import (
    archive_url,
    config_options,
    db_option,
    detector_options,
    fail,
    load_lexicon_or_fail,
    open_archive_or_exit,
    resolve_config,
)

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$", re.I)
_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class ByteSize(click.ParamType):
    """A size such as 2MB, 500KB or 1048576 (bytes); units are powers of 1024."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        m = _SIZE_RE.match(str(value))
        if not m:
            self.fail(f"{value!r} is not a size; write it like 2MB, 500KB or 1048576", param, ctx)
        n = int(float(m.group(1)) * _UNITS[(m.group(2) or "b")[0].lower()])
        if n < 1:
            self.fail("the size must be at least one byte", param, ctx)
        return n


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address lets other computers use the page.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the page in a web browser once the server is up.")
@click.option("--max-upload", type=ByteSize(), default="2MB", show_default=True,
              help="Largest article the page accepts (e.g. 500KB, 5MB).")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Likely sources to show when an archive is configured.")
@detector_options
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@click.option("--budget", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
              help="Seconds a check may take (waiting for a worker included) before the page answers 504.")
@click.option("--workers", type=click.IntRange(1, 64), help="Checks run at the same time [default: cores, at least 2].")
@db_option
@config_options
def serve(host, port, open_browser, max_upload, top, no_generic, lexicons, quiet, budget, workers, db, config_path,
          no_config) -> None:
    """Serve a local web page to check articles, accept suggestions and download the fixed text.

    Paste or upload an article (text, Markdown with front matter, HTML); the page shows its score and
    verdict, highlights each spun phrase with its suggestions, and, with --db, the likely sources.
    """
    cfg = resolve_config(config_path, no_config, db=db, lexicons=tuple(lexicons) or None,
                         generic=False if no_generic else None)
    from ..web.server import WebApp, is_loopback, make_server

    archive = None
    where = archive_url(db, cfg, default=False)  # only an archive the user named
    if where is not None:
        archive = open_archive_or_exit(where)

    app = WebApp(config=cfg, archive=archive, max_upload=max_upload, top=top, budget=budget, workers=workers or 0)
    load_lexicon_or_fail(app.context)
    app.warm_up()
    try:
        server = make_server(app, host, port, quiet=quiet)
    except OSError as exc:
        import errno
        import socket

        if isinstance(exc, socket.gaierror):
            fail(f"cannot listen on {host!r}: no such address")
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use; pick another with --port (0 picks a free one)")
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            fail(f"cannot listen on {host!r}: {exc.strerror or exc}")
        if exc.errno == errno.EACCES:
            fail(f"not allowed to listen on port {port}; use a port above 1023")
        fail(f"cannot start the server on {host}:{port}: {exc.strerror or exc}")

    url = server.url
    click.echo(f"unspin serve: open {url}  (Ctrl-C to stop)", err=True)
    if not is_loopback(host):
        click.echo(f"unspin serve: warning: listening on {host}; other computers can use this page", err=True)
    if archive is None:
        click.echo("unspin serve: no archive configured (--db URL), so no sources are shown", err=True)
    if open_browser:
        import webbrowser

        threading_open(webbrowser.open, url)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        click.echo("unspin serve: stopped", err=True)
    finally:
        server.server_close()
        app.close()


def threading_open(opener, url: str) -> None:
    """Open the browser without holding up the server (some browsers block until they exit)."""
    import threading

    threading.Thread(target=opener, args=(url,), daemon=True).start()
