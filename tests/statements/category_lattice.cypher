// Tests only: $products products (titled "Lattice lamp ...") in the bottom category of a lattice of
// $levels + 1 levels, two categories wide, each category a subcategory of both categories of the
// level above: 2^$levels category paths up from every product. The category filter of the product
// listing and search then expands every path of every product: a genuinely slow query, on purpose.
UNWIND range(0, $levels) AS level
UNWIND ['a', 'b'] AS side
MERGE (:Category {id: 'lattice-' + level + side, name: 'Lattice ' + level + side})
WITH count(*) AS categories
UNWIND range(0, $levels - 1) AS level
UNWIND ['a', 'b'] AS lower
UNWIND ['a', 'b'] AS upper
MATCH (child:Category {id: 'lattice-' + level + lower})
MATCH (parent:Category {id: 'lattice-' + (level + 1) + upper})
MERGE (child)-[:SUBCATEGORY_OF]->(parent)
WITH count(*) AS links
MERGE (:Category {id: 'lattice-elsewhere', name: 'Elsewhere'})
WITH links
MATCH (bottom:Category {id: 'lattice-0a'})
UNWIND range(1, $products) AS i
CREATE (p:Product {id: 'lattice-' + i, title: 'Lattice lamp ' + i, description: 'a lamp', price: 1.0})
CREATE (p)-[:IN_CATEGORY]->(bottom)
RETURN count(p) AS products
