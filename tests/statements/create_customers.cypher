// Tests only: bare customers by id.
UNWIND $ids AS id
MERGE (:Customer {id: id})
