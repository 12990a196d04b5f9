"""What the graph's observed co-purchase edges hold, as matrices: the offline side of the
``BOUGHT_WITH`` terms of the served customer model (:mod:`graph_schema.recommended`).

``affinity ingest``'s observe pass (``ingest/associations.py``, ``cypher/associations/
replace_observed.cypher``) writes, for two products sharing ``c = n(a, b) >= min_support`` baskets,
an edge ``a -> b`` with ``baskets = c``, ``confidence = c / n(a)`` and ``lift = c N / (n(a) n(b))``
(``N`` baskets with a product, ``n(a)`` those holding ``a``), over every basket (with a customer or
without). The API reads these edges from the basket's products at query time; this module computes
the same numbers from :class:`~training.interactions.BasketArrays`, so the offline evaluation scores
what the API would answer. The counts are not time-decayed (the edges hold none): on validation the
60-day-decayed co-occurrence did no better than the plain count (docs/evaluation.md, "Customers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from training.customer_baselines import Sparse
from training.interactions import BasketArrays

__all__ = ["CoBought", "cobought_matrices"]


@dataclass(frozen=True, slots=True)
class CoBought:
    """``(N, N)`` per edge ``a -> b``: ``baskets`` over ``a``'s largest (``count_share``, in (0, 1]),
    ``confidence``, and ``lift`` over ``a``'s largest (``lift_share``); no edge: no entry."""

    count_share: Sparse
    confidence: Sparse
    lift_share: Sparse


def _over_row_max(matrix: Sparse) -> Sparse:
    row_max = np.asarray(matrix.max(axis=1).toarray()).ravel()
    out: Sparse = (sp.diags(1.0 / np.where(row_max > 0, row_max, 1.0)) @ matrix).tocsr()
    return out


def cobought_matrices(baskets: BasketArrays, min_support: int) -> CoBought:
    """The ``BOUGHT_WITH`` edges the observe pass writes for ``baskets`` (``min_support``:
    ``settings.min_support_baskets``), as :class:`CoBought`."""
    n = baskets.n_products
    present = baskets.sizes > 0
    incidence = sp.csr_matrix(
        (np.ones(len(baskets.items)), (baskets.line_basket, baskets.items)), shape=(len(baskets), n)
    )
    incidence.data[:] = 1.0  # a product listed twice in one basket counts once
    shared = (incidence.T @ incidence).tocsr()
    shared.setdiag(0.0)
    shared.data[shared.data < min_support] = 0.0
    shared.eliminate_zeros()
    n_a = np.asarray(incidence.sum(axis=0)).ravel()
    inverse = sp.diags(1.0 / np.maximum(n_a, 1.0))
    confidence = (inverse @ shared).tocsr()
    lift = (confidence @ inverse).tocsr() * float(present.sum())
    return CoBought(_over_row_max(shared), confidence, _over_row_max(lift.tocsr()))
