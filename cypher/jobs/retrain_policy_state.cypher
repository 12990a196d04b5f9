// What the retrain scheduler decides on (stores/retrain_policy.py): the orders in the graph, and the
// last successful retrain (when it finished, how many orders there were when it started) and the
// last failed one. Times in epoch seconds.
CALL () {
  MATCH (o:Order)
  RETURN count(o) AS orders
}
CALL () {
  OPTIONAL MATCH (j:Job {kind: 'retrain', state: 'succeeded'})
  RETURN j.finished_at.epochMillis / 1000.0 AS last_succeeded, j.orders_at_start AS orders_at_last
  ORDER BY j.finished_at DESC
  LIMIT 1
}
CALL () {
  OPTIONAL MATCH (j:Job {kind: 'retrain', state: 'failed'})
  RETURN max(j.finished_at).epochMillis / 1000.0 AS last_failed
}
RETURN orders, last_succeeded, orders_at_last, last_failed
