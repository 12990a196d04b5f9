// Which of the category ids $ids exist (a list filter's categories are checked before use).
OPTIONAL MATCH (c:Category) WHERE c.id IN $ids
RETURN collect(c.id) AS known
