"""A customer GNN: LightGCN (He et al., SIGIR 2020; :class:`torch_geometric.nn.models.LightGCN`) over
the bipartite customer-product graph of a window, so customers and products get vectors in one space
and ``customer . product`` scores how well a product fits a customer (:func:`fit_customer_gnn`).

* **Graph.** One node per customer with an order in the window and one per product; an edge per
  (customer, product) bought, weighted by ``log1p`` of the time-decayed number of orders with it
  (half-life ``half_life_days`` before ``ref_s``), symmetric-normalised by LightGCN's convolutions.
* **Inductive customers.** Customers have no free embedding: their layer-0 vector is zero, so their
  final vector is a fixed function of the products they bought (the propagated product layers). A
  customer with one order, or one who was not in the graph at all, gets a vector from their history
  alone (:meth:`CustomerGnn.fold_in`) without refitting; only products have learned embeddings.
* **Training.** BPR on the window's edges: a positive (customer, product) edge sampled in proportion
  to its weight (recent purchases more often) against a uniformly sampled product, full-graph
  propagation every step, Adam.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import torch
from torch_geometric.nn.models import LightGCN

from training.aliases import IntArray
from training.customer_baselines import Sparse, personal_matrix
from training.interactions import BasketArrays

__all__ = ["CustomerGnn", "CustomerGnnParams", "fit_customer_gnn"]

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class CustomerGnnParams:
    """Knobs of :func:`fit_customer_gnn`."""

    dim: int = 32
    layers: int = 2
    steps: int = 150
    warm_steps: int = 50  # steps of a fit that starts from an earlier window's vectors
    batch: int = 16384
    lr: float = 0.1
    lambda_reg: float = 1e-4
    half_life_days: float = 60.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CustomerGnnParams:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


def _edge_weights(history: Sparse) -> Sparse:
    out = history.tocsr(copy=True)
    out.data = np.log1p(out.data)
    out.eliminate_zeros()
    return out


@dataclass(slots=True)
class CustomerGnn:
    """``(C, d)`` customer and ``(N, d)`` product vectors, and what :meth:`fold_in` needs."""

    customers: Vectors
    products: Vectors
    #: ``(L, N, d)`` each layer's product vectors before a propagation to customers, pre-scaled by
    #: ``alpha`` of the customer layer it feeds and by ``deg(product) ** -1/2``
    product_layers: Vectors
    base: Vectors  # ``(N, d)`` the learned layer-0 product embeddings (to warm-start a later fit)
    params: CustomerGnnParams

    def scores(self, customers: IntArray) -> npt.NDArray[np.float64]:
        """``(B, N)`` dot products (0 for customers without a vector)."""
        safe = np.clip(customers, 0, len(self.customers) - 1)
        out: npt.NDArray[np.float64] = (self.customers[safe] @ self.products.T).astype(np.float64)
        out[np.asarray(customers) < 0] = 0.0
        return out

    def fold_in(self, history: Sparse) -> Vectors:
        """``(B, d)`` vectors of customers from their ``(B, N)`` decayed purchase counts (time-decayed
        as in the fit): LightGCN's propagation from the products, for customers the graph never saw."""
        w = _edge_weights(sp.csr_matrix(history))
        deg = np.asarray(w.sum(axis=1)).ravel()
        w = sp.diags(1.0 / np.sqrt(np.maximum(deg, 1e-12))) @ w
        out = np.zeros((w.shape[0], self.products.shape[1]), dtype=np.float32)
        for layer in self.product_layers:
            out += np.asarray(w @ layer, dtype=np.float32)
        return out


class _Propagate(torch.autograd.Function):
    """``matrix @ x`` with scipy (a CPU sparse product ~3x faster than torch's, whose backward through a
    sparse CSR tensor costs ~0.8 s a step here); the gradient is ``matrix.T @ grad``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, matrix: Sparse, matrix_t: Sparse) -> torch.Tensor:
        ctx.matrix_t = matrix_t
        return torch.from_numpy(np.asarray(matrix @ x.detach().numpy(), dtype=np.float32))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        out = np.asarray(ctx.matrix_t @ grad.numpy(), dtype=np.float32)
        return torch.from_numpy(out), None, None


def _propagate(x: torch.Tensor, matrix: Sparse, matrix_t: Sparse) -> torch.Tensor:
    out: torch.Tensor = _Propagate.apply(x, matrix, matrix_t)
    return out


def _embed(
    model: LightGCN, norm: Sparse, norm_t: Sparse, layers: int
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """LightGCN's layer-weighted sum of propagations on the bipartite graph whose customers start at 0:
    ``(customers, products)`` final vectors and, per layer, the product vectors customers receive
    (already weighted by ``alpha``). Only the non-zero half of each layer is computed: from products to
    customers at even layers, back at odd ones."""
    products = model.embedding.weight
    alpha = model.alpha
    p_out = products * alpha[0]
    c_out: torch.Tensor | None = None
    sent: list[torch.Tensor] = []
    x_p: torch.Tensor | None = products
    x_c: torch.Tensor | None = None
    for i in range(layers):
        if x_p is not None:
            sent.append(x_p * alpha[i + 1])
            x_c, x_p = _propagate(x_p, norm, norm_t), None
            c_out = x_c * alpha[i + 1] if c_out is None else c_out + x_c * alpha[i + 1]
        elif x_c is not None:
            x_p, x_c = _propagate(x_c, norm_t, norm), None
            p_out = p_out + x_p * alpha[i + 1]
    if c_out is None:
        c_out = torch.zeros((norm.shape[0], products.shape[1]))
    return c_out, p_out, sent


def fit_customer_gnn(
    baskets: BasketArrays,
    n_customers: int,
    ref_s: float,
    params: CustomerGnnParams,
    seed: int = 7,
    init: CustomerGnn | None = None,
    steps: int | None = None,
) -> CustomerGnn:
    """LightGCN over the customer-product graph of ``baskets`` (all before ``ref_s``); ``init``: start
    from these product vectors (a fit on an earlier window), for ``steps`` steps."""
    n_products = baskets.n_products
    history = personal_matrix(baskets, n_customers, ref_s, params.half_life_days)
    weights = _edge_weights(history)
    active = np.flatnonzero(np.diff(weights.indptr) > 0)
    w = weights[active]
    deg_c = np.asarray(w.sum(axis=1)).ravel()
    deg_p = np.asarray(w.sum(axis=0)).ravel()
    # D_c^-1/2 W D_p^-1/2: LightGCN's symmetric normalisation of the customer-product block
    norm = (
        sp.diags(1.0 / np.sqrt(np.maximum(deg_c, 1e-12)))
        @ w
        @ sp.diags(1.0 / np.sqrt(np.maximum(deg_p, 1e-12)))
    ).astype(np.float32)
    norm = sp.csr_matrix(norm)
    norm_t = sp.csr_matrix(norm.T)
    coo = w.tocoo()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    # only products have learned embeddings (customers start at zero, see the module docstring)
    model = LightGCN(n_products, params.dim, params.layers)
    if init is not None:
        with torch.no_grad():
            model.embedding.weight.copy_(torch.from_numpy(init.base))
    n_steps = (params.steps if init is None else params.warm_steps) if steps is None else steps
    if coo.nnz and n_steps > 0:
        p = coo.data / coo.data.sum()
        opt = torch.optim.Adam(model.parameters(), lr=params.lr)
        model.train()
        for _ in range(n_steps):
            pick = rng.choice(coo.nnz, size=params.batch, p=p)
            u = torch.from_numpy(coo.row[pick].astype(np.int64))
            pos = torch.from_numpy(coo.col[pick].astype(np.int64))
            neg = torch.from_numpy(rng.integers(n_products, size=params.batch))
            c_vec, p_vec, _ = _embed(model, norm, norm_t, params.layers)
            pos_rank = (c_vec[u] * p_vec[pos]).sum(-1)
            neg_rank = (c_vec[u] * p_vec[neg]).sum(-1)
            loss = model.recommendation_loss(
                pos_rank, neg_rank, node_id=torch.cat([pos, neg]), lambda_reg=params.lambda_reg
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        c_vec, p_vec, sent = _embed(model, norm, norm_t, params.layers)
        scale = torch.from_numpy((1.0 / np.sqrt(np.maximum(deg_p, 1e-12))).astype(np.float32))[:, None]
        layers = [(x * scale).numpy() for x in sent]
    customers = np.zeros((n_customers, params.dim), dtype=np.float32)
    customers[active] = c_vec.numpy()
    return CustomerGnn(
        customers,
        p_vec.numpy().astype(np.float32),
        np.stack(layers).astype(np.float32),
        model.embedding.weight.detach().numpy().copy(),
        params,
    )
