-- Stored events in the relay's own schema (issue 9), as SQLite's 0023: `body` was the wire
-- format of protocol v1 (`shared::EventBody`); it is now `relay/src/event/stored.rs`, schema 2,
-- the same fields plus `"v": 2`. This rewrites every body written before (schema 1, no `v`).
-- A relay still reads a body without `v` as schema 1 (a relay of the previous version may write
-- one during a rolling upgrade) and refuses a schema it does not know.
UPDATE events SET body = (jsonb_build_object('v', 2) || body::jsonb)::json WHERE body -> 'v' IS NULL;
