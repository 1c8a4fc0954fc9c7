-- Typed columns (issue 9), as in SQLite's 0021: every enum the store keeps is one of its names
-- (`store/columns.rs` decodes them and refuses a name it does not know). A helpdesk's name is
-- only checked for its form, so adding a helpdesk needs no migration.
ALTER TABLE conversations
    ADD CONSTRAINT conversations_reason CHECK (reason IN ('explicit_request', 'frustration', 'cannot_answer', 'rule', 'topic')),
    ADD CONSTRAINT conversations_handover_provider CHECK (handover_provider ~ '^[a-z0-9_]+$');
ALTER TABLE events ADD CONSTRAINT events_pending CHECK (pending IN ('widget', 'http'));
ALTER TABLE outbox ADD CONSTRAINT outbox_provider CHECK (provider ~ '^[a-z0-9_]+$');
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_provider CHECK (provider ~ '^[a-z0-9_]+$');
