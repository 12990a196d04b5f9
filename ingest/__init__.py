"""Ingest: the documented input format, its validation, the Online Retail adapter, batched writes.

One job per module:

- :mod:`ingest.records`: the record models (products, customers, order lines, reviews)
- :mod:`ingest.readers`: CSV / JSON Lines files to located records and problems
- :mod:`ingest.validation`: checks across records (duplicates, orders, references)
- :mod:`ingest.writer`: batched, idempotent, resumable writes into Neo4j
- :mod:`ingest.pipeline`: read, validate, then write (what ``affinity ingest`` runs)
- :mod:`ingest.online_retail` and :mod:`ingest.tagging`: the raw Online Retail data to the format
- :mod:`ingest.associations`: observed ``BOUGHT_WITH`` edges (``affinity associations observe``)

The format is documented in ``docs/ingest.md``. Nothing is re-exported here on purpose: importing
``ingest.records`` (as the API may) should not pull numpy in through ``ingest.associations``.
"""
