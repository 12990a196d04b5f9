# ruff: noqa: RUF001  (Chinese text uses the full-width comma)
"""Chinese catalogues end to end on a real Neo4j: products with CJK titles, descriptions and tags go
through the documented input format (``ingest_paths``), are embedded with multilingual-e5-small by
the incremental refresh path and written to the graph, then the GraphQL API finds them by vector
(``similarProducts``) and by a Chinese word (``products(search:)``, the fulltext index).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from ingest.pipeline import ingest_paths
from service.app import create_app
from training.embedding import product_text, text_hash
from training.text_models import MULTILINGUAL_E5_SMALL
from workers.refresh import load_products, refresh_products

pytestmark = pytest.mark.integration

READ = {"X-API-Key": "dev-read-key"}

# (id, title, description, tags): made for this test; E1-E3 are English translations of C1, C3, C4;
# C5 (a bone-china tea cup) is the Chinese product nearest in meaning to C1 (a ceramic coffee mug).
PRODUCTS = [
    ("C1", "陶瓷咖啡杯", "手工制作的白色陶瓷咖啡杯，容量350毫升", ["厨房", "咖啡"]),
    ("C2", "咖喱粉", "印度风味的咖喱调料，适合炖菜", ["调料"]),
    ("C3", "红色复古闹钟", "金属外壳的复古闹钟，声音响亮", ["时钟", "卧室"]),
    ("C4", "圣诞节装饰星星", "挂在圣诞树上的金色星星", ["圣诞节", "装饰"]),
    ("E1", "Ceramic coffee mug", "A handmade white ceramic coffee mug, 350 ml", ["kitchen", "coffee"]),
    ("E2", "Red retro alarm clock", "A retro alarm clock in a metal case, loud ring", ["clock", "bedroom"]),
    ("E3", "Christmas decoration star", "A golden star to hang on the Christmas tree", ["christmas"]),
    ("E4", "Set of 6 spice tins", "Pantry design spice tins", ["kitchen", "spices"]),
    ("C5", "骨瓷茶杯", "白色骨瓷茶杯和茶碟，容量200毫升", ["厨房", "茶"]),
    ("C6", "木制调料架", "可放十二个调料罐的木制架子", ["厨房", "调料"]),
]
TRANSLATIONS = {"C1": "E1", "C3": "E2", "C4": "E3"}


@pytest.fixture(scope="module")
def e5_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"text_model": MULTILINGUAL_E5_SMALL, "device": "cpu"})


@pytest.fixture
def cjk_graph(empty_graph: neo4j.Driver, e5_settings: Settings, tmp_path: Path) -> neo4j.Driver:
    with (tmp_path / "products.jsonl").open("w", encoding="utf-8") as handle:
        for pid, title, description, tags in PRODUCTS:
            record = {"id": pid, "title": title, "description": description, "price": 9.5, "tags": tags}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    result = ingest_paths(empty_graph, e5_settings.neo4j_database, [tmp_path], batch_size=100)
    assert result.outcomes["products"].created == len(PRODUCTS)
    refresh_products(empty_graph, e5_settings, [pid for pid, *_ in PRODUCTS])
    return empty_graph


@pytest.fixture
def client(cjk_graph: neo4j.Driver, e5_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(e5_settings)) as test_client:
        yield test_client


def gql(client: TestClient, query: str) -> Any:
    body = client.post("/graphql", json={"query": query}, headers=READ).json()
    assert "errors" not in body, body
    return body["data"]


def test_ingest_keeps_cjk_text_and_embeds_it_with_e5(cjk_graph: neo4j.Driver, e5_settings: Settings) -> None:
    database = e5_settings.neo4j_database
    products = {p.id: p for p in load_products(cjk_graph, database, ["C1", "C3"])}
    assert products["C1"].title == "陶瓷咖啡杯"
    assert products["C1"].description == "手工制作的白色陶瓷咖啡杯，容量350毫升"
    assert set(products["C3"].tags) == {"时钟", "卧室"}
    rows = cjk_graph.execute_query(
        "MATCH (p:Product) RETURN p.id AS id, p.embedding_model AS model, p.text_hash AS hash, "
        "size(p.embedding) AS dim",
        database_=database,
    ).records
    assert len(rows) == len(PRODUCTS)
    assert {(r["model"], r["dim"]) for r in rows} == {(MULTILINGUAL_E5_SMALL, 384)}
    c1 = next(r for r in rows if r["id"] == "C1")
    assert c1["hash"] == text_hash(product_text(products["C1"]), MULTILINGUAL_E5_SMALL)


def similar(client: TestClient, product_id: str) -> list[str]:
    query = f'{{ similarProducts(productId: "{product_id}", first: 20) {{ product {{ productId }} }} }}'
    return [hit["product"]["productId"] for hit in gql(client, query)["similarProducts"]]


def test_similar_products_of_a_chinese_product(client: TestClient) -> None:
    assert similar(client, "C1")[0] == "C5"  # coffee mug -> tea cup


def test_similar_products_crosses_languages(client: TestClient) -> None:
    """An English product's nearest is its Chinese translation; a Chinese product's nearest English
    product is its translation (Chinese products as a whole sit closer to each other than to
    English ones, so the translation need not be first overall)."""
    for chinese, english in TRANSLATIONS.items():
        assert similar(client, english)[0] == chinese
        assert next(pid for pid in similar(client, chinese) if pid.startswith("E")) == english


def test_similar_products_by_chinese_text(client: TestClient) -> None:
    query = '{ similarProducts(text: "咖啡杯", first: 10) { product { productId title } } }'
    deadline = time.monotonic() + 180
    body = client.post("/graphql", json={"query": query}, headers=READ).json()
    while body.get("errors") and time.monotonic() < deadline:  # the encoder loads on first use
        time.sleep(1)
        body = client.post("/graphql", json={"query": query}, headers=READ).json()
    assert "errors" not in body, body
    ids = [h["product"]["productId"] for h in body["data"]["similarProducts"]]
    assert ids[0] == "C1", body  # the coffee mug for "coffee mug"
    assert next(pid for pid in ids if pid.startswith("E")) == "E1", body


def search(client: TestClient, text: str) -> list[str]:
    page = gql(
        client, f'{{ products(search: "{text}", first: 10) {{ edges {{ node {{ productId title }} }} }} }}'
    )
    return [edge["node"]["productId"] for edge in page["products"]["edges"]]


def test_fulltext_finds_a_product_by_a_chinese_word(client: TestClient) -> None:
    assert search(client, "咖啡") == ["C1"]  # coffee: not 咖喱 (curry), which shares 咖
    assert search(client, "闹钟") == ["C3"]
    assert search(client, "复古闹钟") == ["C3"]
    assert search(client, "星星") == ["C4"]


def test_fulltext_still_finds_english_words(client: TestClient) -> None:
    assert search(client, "coffee") == ["E1"]
    assert search(client, "alarm clock")[0] == "E2"
    assert search(client, "Christmas") == ["E3"]
