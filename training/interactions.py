"""Baskets as arrays, and the count statistics every recommender is built from.

A :class:`BasketArrays` is the CSR form of a list of baskets over the snapshot's product index:
basket ``b`` holds ``items[indptr[b]:indptr[b + 1]]`` (distinct product indices) at time ``ts[b]``
(epoch seconds). From it come

* item counts  :math:`n_i = \\sum_b w_b \\, [i \\in b]`,
* co-occurrence :math:`C_{ij} = \\sum_b w_b \\, [i \\in b][j \\in b]` for :math:`i \\ne j`,

with an optional weight :math:`w_b` per basket (time decay :math:`w_b = 2^{-(t_0 - t_b)/h}`).
:math:`C = M^\\top \\operatorname{diag}(w) M` is one sparse product of the basket-item incidence
matrix :math:`M \\in \\{0,1\\}^{B \\times N}` with itself, done by ``torch.sparse`` in CSR form.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from training.aliases import FloatArray, IntArray
from training.snapshot import Basket

__all__ = [
    "CSR",
    "DAY_S",
    "BasketArrays",
    "cooccurrence",
    "customer_cooccurrence",
    "decay_weights",
    "item_counts",
]

DAY_S = 86_400.0

Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class BasketArrays:
    """Baskets in CSR form over a fixed product index of size ``n_products``.

    Shapes: ``indptr`` ``(B + 1,)`` int64, ``items`` ``(L,)`` int64 (distinct within a basket),
    ``ts`` ``(B,)`` float64 epoch seconds, ``customers`` ``(B,)`` int64 customer index (``-1``: guest).
    """

    indptr: IntArray
    items: IntArray
    ts: Float64Array
    n_products: int
    customers: IntArray

    @classmethod
    def from_baskets(cls, baskets: Sequence[Basket], index: dict[str, int]) -> BasketArrays:
        """Map baskets onto ``index`` (product id -> position); unknown ids and repeats are dropped."""
        sizes = np.zeros(len(baskets), dtype=np.int64)
        items: list[int] = []
        customer_index: dict[str, int] = {}
        customers = np.full(len(baskets), -1, dtype=np.int64)
        for b, basket in enumerate(baskets):
            if basket.customer_id is not None:
                customers[b] = customer_index.setdefault(basket.customer_id, len(customer_index))
            seen = dict.fromkeys(index[p] for p in basket.product_ids if p in index)
            items.extend(seen)
            sizes[b] = len(seen)
        indptr = np.zeros(len(baskets) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        ts = np.array([b.ts.timestamp() for b in baskets], dtype=np.float64)
        return cls(indptr, np.asarray(items, dtype=np.int64), ts, len(index), customers)

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def sizes(self) -> IntArray:
        """Distinct products per basket, ``(B,)``."""
        return np.diff(self.indptr)

    @property
    def line_basket(self) -> IntArray:
        """The basket of each line, ``(L,)``."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.sizes)

    def select(self, mask: BoolArray) -> BasketArrays:
        """The baskets where ``mask`` (shape ``(B,)``) is true, in order."""
        keep_lines = np.repeat(mask, self.sizes)
        sizes = self.sizes[mask]
        indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        return BasketArrays(
            indptr, self.items[keep_lines], self.ts[mask], self.n_products, self.customers[mask]
        )

    def window(self, start_s: float | None, end_s: float | None) -> BasketArrays:
        """Baskets with ``start_s <= ts < end_s`` (epoch seconds; ``None`` is open)."""
        mask = np.ones(len(self), dtype=np.bool_)
        if start_s is not None:
            mask &= self.ts >= start_s
        if end_s is not None:
            mask &= self.ts < end_s
        return self.select(mask)

    def seen(self) -> BoolArray:
        """``(N,)`` bool: the product occurs in at least one basket."""
        out = np.zeros(self.n_products, dtype=np.bool_)
        out[self.items] = True
        return out


@dataclass(frozen=True, slots=True)
class CSR:
    """A minimal CSR matrix of float32 (rows sorted by column), enough for row blocks and top-k."""

    indptr: IntArray
    indices: IntArray
    data: FloatArray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def row_nnz(self) -> IntArray:
        return np.diff(self.indptr)

    def dense_rows(self, rows: IntArray) -> FloatArray:
        """Rows ``rows`` as a dense ``(len(rows), n_cols)`` float32 block."""
        out = np.zeros((len(rows), self.shape[1]), dtype=np.float32)
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        total = int(lengths.sum())
        if total:
            block_row = np.repeat(np.arange(len(rows)), lengths)
            offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            src = np.repeat(starts, lengths) + offsets
            out[block_row, self.indices[src]] = self.data[src]
        return out

    def row_sums(self) -> FloatArray:
        sums = np.zeros(self.shape[0], dtype=np.float64)
        np.add.at(sums, np.repeat(np.arange(self.shape[0]), self.row_nnz()), self.data)
        return sums.astype(np.float32)

    def top_k_per_row(self, k: int) -> CSR:
        """Keep the ``k`` largest entries of each row (ties by column), rows stay column-sorted.

        Only rows with more than ``k`` entries need a choice: for each, the ``k``-th largest value is
        found by partition (linear time), every larger entry is kept, and the ties at that value
        are kept in column order until the row has ``k``. The same entries as a sort by (row, value
        descending, column), without sorting every row's entries.
        """
        counts = self.row_nnz()
        keep = np.ones(self.nnz, dtype=np.bool_)
        for row in np.flatnonzero(counts > k):
            start, end = int(self.indptr[row]), int(self.indptr[row + 1])
            values = self.data[start:end]
            threshold = np.partition(values, len(values) - k)[len(values) - k]
            above = values > threshold
            ties = np.flatnonzero(values == threshold)[: k - int(above.sum())]
            chosen = above
            chosen[ties] = True
            keep[start:end] = chosen
        kept = np.flatnonzero(keep)
        counts = np.minimum(counts, k)
        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return CSR(indptr, self.indices[kept], self.data[kept], self.shape)

    def to_coo(self) -> tuple[IntArray, IntArray, FloatArray]:
        rows = np.repeat(np.arange(self.shape[0], dtype=np.int64), self.row_nnz())
        return rows, self.indices, self.data

    @classmethod
    def from_coo(cls, rows: IntArray, cols: IntArray, values: FloatArray, shape: tuple[int, int]) -> CSR:
        """Build from (possibly repeated) coordinates; repeats are summed."""
        keys = rows.astype(np.int64) * shape[1] + cols.astype(np.int64)
        uniq, inverse = np.unique(keys, return_inverse=True)
        data = np.bincount(inverse, weights=values.astype(np.float64)).astype(np.float32)
        r = uniq // shape[1]
        counts = np.bincount(r, minlength=shape[0])
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, (uniq % shape[1]).astype(np.int64), data, shape)


def decay_weights(ts: Float64Array, ref_s: float, half_life_days: float | None) -> Float64Array:
    """Per-basket weights :math:`w_b = 2^{-(t_{ref} - t_b) / h}`; all ones when ``half_life_days`` is None."""
    if half_life_days is None or not np.isfinite(half_life_days):
        return np.ones_like(ts)
    age_days = np.maximum(ref_s - ts, 0.0) / DAY_S
    return np.exp2(-age_days / float(half_life_days))


def item_counts(baskets: BasketArrays, weights: Float64Array | None = None) -> FloatArray:
    """:math:`n_i = \\sum_b w_b [i \\in b]`, shape ``(N,)``."""
    line_w = None if weights is None else np.repeat(weights, baskets.sizes)
    counts = np.bincount(baskets.items, weights=line_w, minlength=baskets.n_products)
    return counts.astype(np.float32)


def cooccurrence(baskets: BasketArrays, weights: Float64Array | None = None) -> CSR:
    """Symmetric co-occurrence :math:`C = M^\\top \\operatorname{diag}(w) M` without the diagonal.

    Returns an ``(N, N)`` :class:`CSR`. Cost is one sparse-sparse product, about
    :math:`O(\\sum_b |b|^2)` multiply-adds.
    """
    n = baskets.n_products
    if len(baskets.items) == 0:
        return CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), (n, n))
    line_w = (
        np.ones(len(baskets.items), dtype=np.float32)
        if weights is None
        else np.repeat(weights, baskets.sizes).astype(np.float32)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        rows = torch.from_numpy(baskets.line_basket)
        cols = torch.from_numpy(baskets.items)
        shape = (len(baskets), n)
        m = torch.sparse_coo_tensor(torch.stack([rows, cols]), torch.ones(len(cols)), shape).coalesce()
        mw = torch.sparse_coo_tensor(
            torch.stack([cols, rows]), torch.from_numpy(line_w), (n, len(baskets))
        ).coalesce()
        product = mw.to_sparse_csr() @ m.to_sparse_csr()
        c = product.to_sparse_coo().coalesce()  # type: ignore[no-untyped-call]
    idx = c.indices().numpy()
    val = c.values().numpy().astype(np.float32)
    off = idx[0] != idx[1]
    r, col, v = idx[0][off], idx[1][off], val[off]
    # The CSR product does not sort columns (and its COO view claims to be coalesced): sort here.
    order = np.argsort(r * n + col, kind="stable")
    r, col, v = r[order], col[order], v[order]
    counts = np.bincount(r, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return CSR(indptr, col.astype(np.int64), v, (n, n))


def _sparse_gram(rows: IntArray, cols: IntArray, values: FloatArray, n_rows: int, n: int) -> CSR:
    """:math:`M^\\top M` without the diagonal for :math:`M` ``(n_rows, n)`` given as coordinates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = torch.from_numpy(rows)
        c = torch.from_numpy(cols)
        v = torch.from_numpy(values.astype(np.float32))
        m = torch.sparse_coo_tensor(torch.stack([r, c]), v, (n_rows, n)).coalesce()
        mt = torch.sparse_coo_tensor(torch.stack([c, r]), v, (n, n_rows)).coalesce()
        g = (mt.to_sparse_csr() @ m.to_sparse_csr()).to_sparse_coo()  # type: ignore[no-untyped-call]
    idx = g.indices().numpy()
    val = g.values().numpy().astype(np.float32)
    off = idx[0] != idx[1]
    return CSR.from_coo(idx[0][off], idx[1][off], val[off], (n, n))


def customer_cooccurrence(
    baskets: BasketArrays, weights: Float64Array | None = None
) -> tuple[CSR, FloatArray]:
    """Customer-level co-occurrence: products bought by the same customers, in any of their orders.

    With :math:`A_{ui} = \\log(1 + \\sum_{b \\in u} w_b [i \\in b])` (customer :math:`u`, guests left
    out), returns :math:`A^\\top A` without its diagonal, ``(N, N)``, and the diagonal
    :math:`\\sum_u A_{ui}^2`, ``(N,)`` (for cosine normalisation).
    """
    n = baskets.n_products
    line_c = np.repeat(baskets.customers, baskets.sizes)
    line_w = np.ones(len(line_c)) if weights is None else np.repeat(weights, baskets.sizes)
    keep = line_c >= 0
    n_customers = int(baskets.customers.max()) + 1 if len(baskets.customers) else 0
    if not keep.any() or n_customers == 0:
        empty = CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), (n, n))
        return empty, np.zeros(n, dtype=np.float32)
    a = CSR.from_coo(line_c[keep], baskets.items[keep], line_w[keep].astype(np.float32), (n_customers, n))
    rows, cols, vals = a.to_coo()
    vals = np.log1p(vals).astype(np.float32)
    diag = np.bincount(cols, weights=vals.astype(np.float64) ** 2, minlength=n).astype(np.float32)
    return _sparse_gram(rows, cols, vals, n_customers, n), diag
