// How many products a full-text search matches, with the tag and category filters.
CALL db.index.fulltext.queryNodes($index, $search) YIELD node AS p
WHERE ($tag IS NULL OR EXISTS { (p)-[:TAGGED]->(:Tag {name: $tag}) })
  AND ($category IS NULL OR EXISTS {
        (p)-[:IN_CATEGORY]->(:Category)-[:SUBCATEGORY_OF*0..10]->(:Category {id: $category}) })
RETURN count(p) AS total
