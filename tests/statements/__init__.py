"""The Cypher only the tests run (fixtures and checks): the named ``.cypher`` files in this folder.

They load like the production statements (``cypher.query``), from their own folder, so that
``cypher/`` holds only what the system itself runs::

    CLEAR_DATA = TEST_CYPHER.query("clear_data")
"""

from __future__ import annotations

from pathlib import Path

import cypher

__all__ = ["TEST_CYPHER"]

TEST_CYPHER = cypher.Catalogue(Path(__file__).resolve().parent)
