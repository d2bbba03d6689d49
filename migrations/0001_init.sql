-- 0001: the service's own identity. Later migrations add the product tables.
-- Migrations never change once shipped; each runs once, in its own transaction (do not BEGIN/COMMIT here).
CREATE TABLE service_instance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    created_at TEXT NOT NULL
) STRICT;

INSERT INTO service_instance (id, created_at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
