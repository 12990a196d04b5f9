// Range indexes for the lookups the pipeline and the API do by property.
CREATE INDEX order_ts IF NOT EXISTS FOR (o:Order) ON (o.ts);
CREATE INDEX model_version_status IF NOT EXISTS FOR (m:ModelVersion) ON (m.status);
CREATE INDEX associated_version IF NOT EXISTS FOR ()-[r:ASSOCIATED]-() ON (r.version);
CREATE INDEX product_text_hash IF NOT EXISTS FOR (p:Product) ON (p.text_hash);
