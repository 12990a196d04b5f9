// The reference shop page: every call is a GraphQL request to the API that serves this page
// (same origin), with the read key from ?key= or the form. Shown recommendations send VIEW events,
// clicks CLICK and the basket button ADD_TO_CART, each with the recommendationId of its list.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { key: params.get("key") ?? localStorage.getItem("affinity-key") ?? "", basket: [], product: null };
$("key").value = state.key;

async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": state.key },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

function status(text) { $("status").textContent = text; }
const money = (p) => (p == null ? "" : `£${p.toFixed(2)}`);
const uuid = () => crypto.randomUUID();

async function send(type, productId, recommendationId = null) {
  const customerId = $("customer").value || null;
  const events = [{ id: uuid(), type, productId, recommendationId, customerId, sessionId: session,
                    ts: new Date().toISOString() }];
  try {
    await gql(`mutation($e: [EventInput!]!) { recordEvents(events: $e) { recorded } }`, { e: events });
  } catch (error) { status(`event not sent: ${error.message}`); }
}
const session = sessionStorage.getItem("affinity-session") ?? uuid();
sessionStorage.setItem("affinity-session", session);

function cards(list, items, listId) {
  list.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    li.dataset.id = item.product.productId;
    li.innerHTML = `<div class="title"></div><div class="price"></div><div class="why"></div>`;
    li.querySelector(".title").textContent = item.product.title;
    li.querySelector(".price").textContent = money(item.product.price);
    li.querySelector(".why").textContent = item.why ?? "";
    li.addEventListener("click", () => {
      if (listId) send("CLICK", item.product.productId, listId);
      openProduct(item.product.productId);
    });
    return li;
  }));
  if (listId) items.forEach((item) => send("VIEW", item.product.productId, listId));
}

async function search(text) {
  const data = await gql(`query($q: String) { products(search: $q, first: 12) {
    edges { node { productId title price available } } } }`, { q: text || null });
  cards($("products"), data.products.edges.map((e) => ({ product: e.node, why: e.node.available ? "" : "unavailable" })));
}

const ASSOCIATIONS = `query($id: ID!, $kind: AssociationKind!) { product(id: $id) {
  associations(kind: $kind, first: 4) { recommendationId product { productId title price } explanation { summary } } } }`;

async function associations(id, kind) {
  try {
    return (await gql(ASSOCIATIONS, { id, kind })).product.associations;
  } catch (error) {
    if (kind === "COMPLEMENT") return (await gql(ASSOCIATIONS, { id, kind: "OBSERVED" })).product.associations;
    return [];  // no active model yet: no learned substitutes
  }
}

async function openProduct(id) {
  const data = await gql(`query($id: ID!) { product(id: $id) { productId title description price available
    tags categories { path } } }`, { id });
  const p = data.product;
  state.product = p;
  $("page").hidden = false;
  const article = $("product");
  article.innerHTML = `<h2></h2><p class="price"></p><p class="desc"></p><p class="meta"></p>
    <button id="add">Add to basket</button>`;
  article.querySelector("h2").textContent = p.title;
  article.querySelector(".price").textContent = money(p.price) + (p.available ? "" : " (unavailable)");
  article.querySelector(".desc").textContent = p.description;
  article.querySelector(".meta").textContent = [...p.categories.map((c) => c.path.join(" › ")), ...p.tags].join(" · ");
  $("add").addEventListener("click", () => addToBasket(p));
  const [complements, similar] = await Promise.all([associations(id, "COMPLEMENT"), associations(id, "SUBSTITUTE")]);
  cards($("complements"), complements.map((a) => ({ product: a.product, why: a.explanation.summary })),
        complements[0]?.recommendationId);
  cards($("similar"), similar.map((a) => ({ product: a.product })), similar[0]?.recommendationId);
  status(`showing ${p.productId}`);
}

async function addToBasket(product) {
  if (!state.basket.some((p) => p.productId === product.productId)) state.basket.push(product);
  send("ADD_TO_CART", product.productId);
  $("basket").replaceChildren(...state.basket.map((p) => {
    const li = document.createElement("li");
    li.textContent = `${p.title} ${money(p.price)}`;
    return li;
  }));
  await forYou();
}

async function forYou() {
  const customerId = $("customer").value || null;
  const basket = state.basket.map((p) => p.productId);
  if (!customerId && !basket.length) { $("for-you").replaceChildren(); $("strategy").textContent = ""; return; }
  const data = await gql(`query($c: ID, $b: [ID!]) { recommendations(customerId: $c, basket: $b, first: 5) {
    strategy recommendationId items { product { productId title price } explanation } } }`,
    { c: customerId, b: basket.length ? basket : null });
  const r = data.recommendations;
  $("strategy").textContent = r.strategy.toLowerCase().replace("_", " ");
  cards($("for-you"), r.items.map((i) => ({ product: i.product, why: i.explanation })), r.recommendationId);
}

async function customers() {
  const data = await gql(`{ customers(first: 50) { edges { node { customerId country orderCount } } } }`);
  for (const { node } of data.customers.edges) {
    const option = document.createElement("option");
    option.value = node.customerId;
    option.textContent = `${node.customerId} (${node.country ?? "?"}, ${node.orderCount} orders)`;
    $("customer").append(option);
  }
}

$("search").addEventListener("submit", (event) => { event.preventDefault(); search($("q").value).catch((e) => status(e.message)); });
$("customer").addEventListener("change", () => forYou().catch((e) => status(e.message)));
$("key").addEventListener("change", () => {
  state.key = $("key").value;
  localStorage.setItem("affinity-key", state.key);
  start();
});

async function start() {
  try {
    await Promise.all([search(""), customers()]);
    status("ready");
  } catch (error) { status(error.message); }
}
start();
