-- Stored events in the relay's own schema (issue 9): `body` was the wire format of protocol v1
-- (`shared::EventBody`); it is now `relay/src/event/stored.rs`, schema 2, which writes the same
-- fields plus its version, `"v": 2`, so a later change of the schema can be told from this one.
-- This rewrites every body written before (schema 1, no `v`) into schema 2. A relay still
-- reads a body without `v` as schema 1 (a relay of the previous version may write one during a
-- rolling upgrade) and refuses a schema it does not know.
UPDATE events SET body = json_set(body, '$.v', 2) WHERE json_type(body, '$.v') IS NULL;
