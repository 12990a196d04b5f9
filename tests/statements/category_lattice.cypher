// Tests only: $products products (titled "Lattice lamp ...") in the bottom category of a lattice of
// $levels + 1 levels, two categories wide, each category a subcategory of both categories of the
// level above: 2^$levels category paths up from every product. 'lattice-elsewhere' sits on top of a
// second lattice of the same shape that holds no products: 2^$levels paths down from it. The category
// filter of the product listing and search then expands every path whichever end the planner starts
// from (up from each product, or down from the category): a genuinely slow query, on purpose.
UNWIND ['lattice-', 'lattice-under-'] AS prefix
UNWIND range(0, $levels) AS level
UNWIND ['a', 'b'] AS side
MERGE (:Category {id: prefix + level + side, name: 'Lattice ' + level + side})
WITH count(*) AS categories
UNWIND ['lattice-', 'lattice-under-'] AS prefix
UNWIND range(0, $levels - 1) AS level
UNWIND ['a', 'b'] AS lower
UNWIND ['a', 'b'] AS upper
MATCH (child:Category {id: prefix + level + lower})
MATCH (parent:Category {id: prefix + (level + 1) + upper})
MERGE (child)-[:SUBCATEGORY_OF]->(parent)
WITH count(*) AS links
MERGE (elsewhere:Category {id: 'lattice-elsewhere', name: 'Elsewhere'})
WITH elsewhere
UNWIND ['a', 'b'] AS side
MATCH (top:Category {id: 'lattice-under-' + $levels + side})
MERGE (top)-[:SUBCATEGORY_OF]->(elsewhere)
WITH count(*) AS tops
MATCH (bottom:Category {id: 'lattice-0a'})
UNWIND range(1, $products) AS i
CREATE (p:Product {id: 'lattice-' + i, title: 'Lattice lamp ' + i, description: 'a lamp', price: 1.0})
CREATE (p)-[:IN_CATEGORY]->(bottom)
RETURN count(p) AS products
