-- Retention (issue 8): conversations are found by their last activity, and a conversation's
-- rows are deleted by conversation; delivered outbox jobs are found by age.
CREATE INDEX conversations_updated ON conversations (updated_at);
CREATE INDEX follow_ups_conversation ON follow_ups (conversation_id);
CREATE INDEX outbox_conversation ON outbox (conversation_id);
CREATE INDEX outbox_finished ON outbox (state, created_at);
