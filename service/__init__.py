"""The GraphQL API: a Strawberry schema served by uvicorn.

One domain per module (``products``, ``associations``, ``recommendations``, ``explain``,
``models``, ``jobs``, ``ingest``), each with its types, loaders, queries and mutations side by side;
:mod:`service.schema` merges them and :mod:`service.app` serves the result. See ``docs/api.md``.
"""

from service.app import create_app

__all__ = ["create_app"]
