// Events that answer a recommendation or association list, by the model version and strategy that
// made the list and by event type, since $since (null: all time). Click-through is clicks over
// views; conversion is purchases over clicks.
MATCH (e:Event)
WHERE e.recommendation_id IS NOT NULL AND ($since IS NULL OR e.ts >= datetime($since))
WITH e.model_version AS version, e.strategy AS strategy, e.type AS type, count(*) AS events,
     count(DISTINCT e.recommendation_id) AS lists
RETURN version, strategy, collect({type: type, events: events, lists: lists}) AS counts
ORDER BY version, strategy
