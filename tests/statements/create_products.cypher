// Tests only: bare products by id and title.
UNWIND $rows AS row
MERGE (p:Product {id: row.id}) SET p.title = row.title
