"""A learned next-basket model: candidates from every customer source re-ranked by a ranker fitted on
what customers bought next (:func:`fit_customer_model`): a small network (:class:`CustomerRanker`,
``ranker="net"``) or gradient-boosted trees (:class:`~training.customer_trees.TreeRanker`,
``ranker="trees"``, what a retrain fits).

Training examples come from several cut points inside the train window: at each cut the signals
(:class:`~training.customer_signals.CustomerSignals`) are built from the baskets before it, and the
target of a customer is their first order in the ``horizon_days`` after it, the shape of the test
task. The network minimises a listwise softmax loss whose target weights are each product's share of
Recall@K (as the item ranker, :mod:`training.fit_ranker`), its features standardised on the training
candidates; the trees take the products of that order as the relevant ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from training.aliases import IntArray
from training.customer_baselines import TifuParams
from training.customer_gnn import CustomerGnn, CustomerGnnParams, fit_customer_gnn
from training.customer_protocols import next_basket_hits, next_basket_queries
from training.customer_signals import CustomerSignals, build_customer_signals
from training.customer_trees import TreeParams, TreeRanker
from training.interactions import BasketArrays
from training.models.ranker import listwise_loss

__all__ = [
    "CustomerModel",
    "CustomerModelParams",
    "NotEnoughHistoryError",
    "fit_customer_model",
    "rebase_customer_model",
]

DAY_S = 86_400.0
RANKERS = ("net", "trees")


@dataclass(frozen=True, slots=True)
class CustomerModelParams:
    """Knobs of :func:`fit_customer_model`."""

    cuts: int = (
        4  # training cut points, ``cut_every_days`` apart, the last one ``horizon_days`` before the end
    )
    horizon_days: float = 28.0
    cut_every_days: float | None = None  # None: ``horizon_days``
    per_source: int = 50
    hidden: int = 32
    steps: int = 400
    batch: int = 256
    lr: float = 1e-2
    weight_decay: float = 1e-4
    seed: int = 7
    half_life_days: float = 120.0
    cooc_half_life_days: float = 60.0
    tifu: TifuParams = field(default_factory=TifuParams)
    use_gnn: bool = True  # the customer GNN's candidates and features (False: the ablation)
    gnn: CustomerGnnParams = field(default_factory=CustomerGnnParams)
    #: "net" (:class:`CustomerRanker`, the first model, and what a stored version without the key
    #: used) or "trees" (:class:`~training.customer_trees.TreeRanker`)
    ranker: str = "net"
    trees: TreeParams = field(default_factory=TreeParams)

    def as_dict(self) -> dict[str, Any]:
        """Plain values (nested parameters as dicts), for storing with a model version."""
        out = asdict(self)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CustomerModelParams:
        """The inverse of :meth:`as_dict`; unknown keys are ignored, missing ones take the defaults."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in values.items() if k in names}
        if isinstance(kwargs.get("tifu"), dict):
            tifu_names = {f.name for f in fields(TifuParams)}
            kwargs["tifu"] = TifuParams(**{k: v for k, v in kwargs["tifu"].items() if k in tifu_names})
        if isinstance(kwargs.get("gnn"), dict):
            kwargs["gnn"] = CustomerGnnParams.from_dict(kwargs["gnn"])
        if isinstance(kwargs.get("trees"), dict):
            tree_names = {f.name for f in fields(TreeParams)}
            kwargs["trees"] = TreeParams(**{k: v for k, v in kwargs["trees"].items() if k in tree_names})
        if kwargs.get("ranker", "net") not in RANKERS:
            raise ValueError(f"unknown customer ranker {kwargs['ranker']!r} (one of {RANKERS})")
        return cls(**kwargs)


class NotEnoughHistoryError(ValueError):
    """The baskets hold no customer who ordered again after a history: nothing to learn from."""


class CustomerRanker(nn.Module):
    """Standardised features -> linear + one-hidden-layer MLP score."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, n_features: int, hidden: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.linear = nn.Linear(n_features, 1)
        self.mlp = nn.Sequential(nn.Linear(n_features, hidden), nn.GELU(), nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = (features - self.mean) / self.std
        out: torch.Tensor = (self.linear(x) + self.mlp(x)).squeeze(-1)
        return out


@dataclass(slots=True)
class CustomerModel:
    """Signals at the end of the train window and the fitted ranker."""

    signals: CustomerSignals
    ranker: CustomerRanker | TreeRanker
    params: CustomerModelParams
    block_size: int = 256

    def score(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """``(B, M)`` the ranker's scores of ``(B, M, F)`` candidate features."""
        if isinstance(self.ranker, TreeRanker):
            return self.ranker(features)
        self.ranker.eval()
        with torch.no_grad():
            out: npt.NDArray[np.float32] = self.ranker(torch.from_numpy(features)).numpy().astype(np.float32)
        return out

    def candidate_scores(self, customers: IntArray) -> tuple[IntArray, npt.NDArray[np.float32]]:
        """``(B, M)`` candidate products per customer (-1 padding) and their ranker scores (``-inf``
        on padding), in candidate order."""
        customers = np.asarray(customers, dtype=np.int64)
        cands: list[IntArray] = []
        scores: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(customers), self.block_size):
            block = customers[start : start + self.block_size]
            sources = self.signals.sources(block)
            cand = self.signals.candidates(block, sources, self.params.per_source)
            s = np.where(cand >= 0, self.score(self.signals.features(block, cand, sources)), -np.inf)
            cands.append(cand)
            scores.append(s.astype(np.float32))
        width = max((c.shape[1] for c in cands), default=0)
        out_c = np.full((len(customers), width), -1, dtype=np.int64)
        out_s = np.full((len(customers), width), -np.inf, dtype=np.float32)
        row = 0
        for c, s in zip(cands, scores, strict=True):
            out_c[row : row + len(c), : c.shape[1]] = c
            out_s[row : row + len(c), : c.shape[1]] = s
            row += len(c)
        return out_c, out_s

    def top_k(self, customers: IntArray, k: int) -> IntArray:
        """``(B, k)`` products per customer, best first (-1 where fewer candidates)."""
        cand, scores = self.candidate_scores(customers)
        k_eff = min(k, cand.shape[1])
        pos = np.argsort(-scores, axis=1, kind="stable")[:, :k_eff]
        picked = np.take_along_axis(cand, pos, axis=1)
        picked[~np.isfinite(np.take_along_axis(scores, pos, axis=1))] = -1
        out = np.full((len(cand), k), -1, dtype=np.int64)
        out[:, :k_eff] = picked
        return out


@dataclass(slots=True)
class _Examples:
    features: npt.NDArray[np.float32]  # (R, M, F)
    weights: npt.NDArray[np.float32]  # (R, M): 1 / min(K, |target|) for candidates in the target
    valid: npt.NDArray[np.bool_]  # (R, M)


def _signals(
    baskets: BasketArrays,
    n_customers: int,
    ref_s: float,
    params: CustomerModelParams,
    gnn: CustomerGnn | None,
) -> CustomerSignals:
    return build_customer_signals(
        baskets,
        n_customers,
        ref_s,
        params.half_life_days,
        params.cooc_half_life_days,
        params.tifu,
        gnn=gnn,
    )


def _gnn(
    before: BasketArrays,
    n_customers: int,
    ref_s: float,
    params: CustomerModelParams,
    init: CustomerGnn | None,
) -> CustomerGnn | None:
    if not params.use_gnn:
        return None
    return fit_customer_gnn(before, n_customers, ref_s, params.gnn, seed=params.seed, init=init)


def _examples(
    baskets: BasketArrays,
    n_customers: int,
    cut_s: float,
    params: CustomerModelParams,
    k: int,
    gnn: CustomerGnn | None,
) -> _Examples | None:
    """Candidates, features and target weights of the customers with history before ``cut_s`` and an
    order in the ``horizon_days`` after it."""
    before = baskets.window(None, cut_s)
    after = baskets.window(cut_s, cut_s + params.horizon_days * DAY_S)
    queries = next_basket_queries(before, after)
    if len(queries) == 0:
        return None
    signals = _signals(before, n_customers, cut_s, params, gnn)
    sources = signals.sources(queries.customers)
    cand = signals.candidates(queries.customers, sources, params.per_source)
    hits = next_basket_hits(queries, cand)
    weights = hits / np.minimum(queries.sizes, k)[:, None]
    keep = hits.any(axis=1)
    return _Examples(
        signals.features(queries.customers, cand, sources)[keep],
        weights[keep].astype(np.float32),
        (cand >= 0)[keep],
    )


def _pad(parts: list[_Examples]) -> _Examples:
    width = max(p.features.shape[1] for p in parts)

    def pad(a: npt.NDArray[np.generic], value: float | bool) -> npt.NDArray[np.generic]:
        spec = [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2)
        return np.pad(a, spec, constant_values=value)

    return _Examples(
        np.concatenate([pad(p.features, 0.0) for p in parts]).astype(np.float32),
        np.concatenate([pad(p.weights, 0.0) for p in parts]).astype(np.float32),
        np.concatenate([pad(p.valid, False) for p in parts]).astype(np.bool_),
    )


def fit_customer_model(
    baskets: BasketArrays, n_customers: int, end_s: float, params: CustomerModelParams, k: int = 10
) -> CustomerModel:
    """Fit the ranker on cut points before ``end_s`` and return it with the signals at ``end_s``."""
    every = (params.cut_every_days or params.horizon_days) * DAY_S
    last_cut = end_s - params.horizon_days * DAY_S
    cuts = sorted(last_cut - every * i for i in range(params.cuts))
    parts: list[_Examples] = []
    # the GNN of each cut starts from the previous (earlier) cut's, the final one from the last cut's
    gnn: CustomerGnn | None = None
    for cut in cuts:
        before = baskets.window(None, cut)
        if not (before.customers >= 0).any():
            continue
        gnn = _gnn(before, n_customers, cut, params, gnn)
        e = _examples(baskets, n_customers, cut, params, k, gnn)
        if e is not None:
            parts.append(e)
    if not parts:
        raise NotEnoughHistoryError("no customer has an order after a history in the train window")
    data = _pad(parts)
    ranker = _fit_trees(data, params) if params.ranker == "trees" else _fit_net(data, params)
    train = baskets.window(None, end_s)
    final = _signals(train, n_customers, end_s, params, _gnn(train, n_customers, end_s, params, gnn))
    return CustomerModel(final, ranker, params)


def _fit_trees(data: _Examples, params: CustomerModelParams) -> TreeRanker:
    return TreeRanker(params.trees, params.seed).fit(data.features, data.weights > 0, data.valid)


def _fit_net(data: _Examples, params: CustomerModelParams) -> CustomerRanker:
    torch.manual_seed(params.seed)  # before the layers are made: a refit gives the same model
    ranker = CustomerRanker(data.features.shape[-1], params.hidden)
    flat = data.features[data.valid]
    ranker.mean.copy_(torch.from_numpy(flat.mean(axis=0)))
    ranker.std.copy_(torch.from_numpy(np.maximum(flat.std(axis=0), 1e-6)))
    rng = np.random.default_rng(params.seed)
    f_t, w_t, v_t = (torch.from_numpy(a) for a in (data.features, data.weights, data.valid))
    opt = torch.optim.Adam(ranker.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    ranker.train()
    for _ in range(params.steps):
        idx = torch.from_numpy(rng.choice(len(f_t), size=min(params.batch, len(f_t)), replace=False))
        loss = listwise_loss(ranker(f_t[idx]), w_t[idx], v_t[idx])
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    ranker.eval()
    return ranker


def rebase_customer_model(
    model: CustomerModel, baskets: BasketArrays, n_customers: int, end_s: float
) -> CustomerModel:
    """The same ranker over the signals of ``baskets`` up to ``end_s`` (every basket, after a fit that
    held the newest out), as :func:`fit_customer_model` ends: its GNN continues from the model's."""
    train = baskets.window(None, end_s)
    gnn = _gnn(train, n_customers, end_s, model.params, model.signals.gnn)
    return CustomerModel(_signals(train, n_customers, end_s, model.params, gnn), model.ranker, model.params)
