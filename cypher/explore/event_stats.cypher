// Click-through and conversion of the recommendation lists, per model version and strategy
// (:param since => null, or '2011-09-01T00:00:00Z').
MATCH (e:Event)
WHERE e.recommendation_id IS NOT NULL AND ($since IS NULL OR e.ts >= datetime($since))
WITH e.model_version AS version, e.strategy AS strategy,
     sum(CASE e.type WHEN 'view' THEN 1 ELSE 0 END) AS views,
     sum(CASE e.type WHEN 'click' THEN 1 ELSE 0 END) AS clicks,
     sum(CASE e.type WHEN 'add_to_cart' THEN 1 ELSE 0 END) AS add_to_carts,
     sum(CASE e.type WHEN 'purchase' THEN 1 ELSE 0 END) AS purchases
RETURN version, strategy, views, clicks, add_to_carts, purchases,
       CASE WHEN views > 0 THEN round(toFloat(clicks) / views, 4) END AS click_through,
       CASE WHEN clicks > 0 THEN round(toFloat(purchases) / clicks, 4) END AS conversion
ORDER BY version, strategy
