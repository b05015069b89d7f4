"""``unspin serve``: a local web page for editors, thin over ``unspin.analysis.analyze``.

The server (``server.py``) is a stdlib ``ThreadingHTTPServer`` with a small JSON API; the page is one
static HTML/JS/CSS set under ``static/`` that renders what the API returns. No detection happens here.
"""

from __future__ import annotations

from .server import WebApp, make_server, start_in_thread

__all__ = ["WebApp", "make_server", "start_in_thread"]
