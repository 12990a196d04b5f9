// Shop events (views, clicks, add-to-cart, purchases): idempotent on the client's event id, read by
// time for click-through, and by customer when a customer is erased.
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE;
CREATE INDEX event_ts IF NOT EXISTS FOR (e:Event) ON (e.ts);
CREATE INDEX event_customer IF NOT EXISTS FOR (e:Event) ON (e.customer_id);
