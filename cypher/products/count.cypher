// How many products match the tag and category filters of products_page.
MATCH (p:Product)
WHERE ($tag IS NULL OR EXISTS { (p)-[:TAGGED]->(:Tag {name: $tag}) })
  AND ($category IS NULL OR EXISTS {
        (p)-[:IN_CATEGORY]->(:Category)-[:SUBCATEGORY_OF*0..10]->(:Category {id: $category}) })
RETURN count(p) AS total
