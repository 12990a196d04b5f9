// Customer recommendations are written, read and pruned by model version.
CREATE INDEX recommended_version IF NOT EXISTS FOR ()-[r:RECOMMENDED]-() ON (r.version);
