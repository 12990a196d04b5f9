"""The Neo4j Browser guide (``:play http://<api>/guide``): slides that walk an analyst through the
graph, each query one click away.

The slides are ``static/guide/affinity.html`` in the Browser's guide format (``<slide>`` elements,
``pre.runnable`` blocks that a click puts in the editor). A block naming a statement
(``data-statement="explore.graph_overview"``) is filled with that statement from ``cypher/``, so the
guide shows exactly the curated queries and no Cypher lives outside ``cypher/``. The Browser fetches
the page cross-origin, hence the CORS header; the API host is in the allow-list that
``affinity db start`` writes (``browser.remote_content_hostname_whitelist``).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

import cypher

__all__ = ["GUIDE_PAGE", "guide", "render_guide"]

GUIDE_PAGE = Path(__file__).resolve().parent / "static" / "guide" / "affinity.html"
_STATEMENT = re.compile(r'(<pre [^>]*data-statement="([a-z_.]+)"[^>]*>)(</pre>)')


@lru_cache(maxsize=1)
def render_guide() -> str:
    """The guide with every named statement filled in (an unknown name fails here, at start-up)."""
    template = GUIDE_PAGE.read_text(encoding="utf-8")
    return _STATEMENT.sub(lambda m: m.group(1) + html.escape(cypher.query(m.group(2))) + m.group(3), template)


#: The Browser asks with no-cache headers, so its request is preflighted (OPTIONS) first.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "pragma, cache-control",
    "Access-Control-Max-Age": "600",
}


async def guide(request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=CORS)
    return HTMLResponse(render_guide(), headers=CORS)
