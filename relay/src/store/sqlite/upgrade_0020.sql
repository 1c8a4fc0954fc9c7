-- Rows as a relay at schema 0020 wrote them (strings for every enum, events in the wire
-- format of protocol v1), for `upgrade.rs`: migrated, they must read back through the Store.

INSERT INTO conversations (id, site, token_hash, created_at, last_seq, visitor_email, visitor_name, state, phase,
    reason, summary, agent_id, waiting_since, updated_at, rating, topic, handover_provider, remote,
    visitor_email_verified, visitor_user_id, visitor_user_id_verified)
VALUES
    ('c-bot', 'demo', 'h-bot', 1000, 3, NULL, NULL, '{"phase":"bot"}', 'bot',
     NULL, NULL, NULL, NULL, 1003, NULL, NULL, NULL, NULL, 0, NULL, 0),
    ('c-waiting', 'demo', 'h-waiting', 2000, 2, 'ada@example.com', 'Ada',
     '{"phase":"waiting","reason":"explicit_request","since":2002}', 'waiting',
     'explicit_request', 'Wants a refund', NULL, 2002, 2002, NULL, 'billing', 'intercom',
     '{"provider":"intercom","conversation":"363"}', 1, 'u-42', 1),
    ('c-agent', 'shop', 'h-agent', 3000, 3, NULL, NULL,
     '{"phase":"agent","agent":{"id":"alex","name":"Alex"},"awaiting_email":false}', 'agent',
     NULL, 'Order late', 'alex', NULL, 3003, NULL, NULL, 'builtin', NULL, 0, NULL, 0),
    ('c-ended', 'demo', 'h-ended', 4000, 4, NULL, NULL,
     '{"phase":"bot"}', 'bot', NULL, 'Asked about delivery', NULL, NULL, 4004, 5, NULL, 'zendesk_support',
     '{"provider":"zendesk_support","conversation":"77"}', 0, NULL, 0);

INSERT INTO events (conversation_id, seq, at, body, client_id, pending) VALUES
    ('c-bot', 1, 1001, '{"kind":"message","author":{"role":"bot","name":"Baton"},"text":"Hi! How can I help?"}', NULL, NULL),
    ('c-bot', 2, 1002, '{"kind":"message","author":{"role":"visitor"},"text":"Where is my parcel?","client_id":"m-1"}', 'm-1', NULL),
    ('c-bot', 3, 1003, '{"kind":"message","author":{"role":"bot","name":"Baton"},"text":"Parcels take 3 days.","quick_replies":[{"title":"Talk to a person","action":{"type":"request_handover"}},{"title":"Thanks","payload":"thanks"}],"source":{"title":"Delivery","url":"/help/demo/delivery"},"draft_id":"d-1"}', NULL, NULL),
    ('c-waiting', 1, 2001, '{"kind":"message","author":{"role":"visitor"},"text":"I want a person","client_id":"m-2"}', 'm-2', 'widget'),
    ('c-waiting', 2, 2002, '{"kind":"phase","phase":"waiting","reason":"explicit_request"}', NULL, NULL),
    ('c-agent', 1, 3001, '{"kind":"message","author":{"role":"visitor"},"text":"late order","client_id":"m-3"}', 'm-3', 'http'),
    ('c-agent', 2, 3002, '{"kind":"phase","phase":"agent","agent_name":"Alex"}', NULL, NULL),
    ('c-agent', 3, 3003, '{"kind":"message","author":{"role":"agent","name":"Alex"},"text":"Looking into it"}', NULL, NULL),
    ('c-ended', 1, 4001, '{"kind":"phase","phase":"ended","agent_name":"Sam"}', NULL, NULL),
    ('c-ended', 2, 4002, '{"kind":"message","author":{"role":"system"},"text":"How was it?","quick_replies":[{"title":"5 ★","action":{"type":"rate","score":5}},{"title":"Form","action":{"type":"open_url","url":"https://example.com/contact"}},{"title":"Cancel","action":{"type":"cancel_handover"}}]}', NULL, NULL),
    ('c-ended', 3, 4003, '{"kind":"rating","score":5}', NULL, NULL),
    ('c-ended', 4, 4004, '{"kind":"phase","phase":"bot"}', NULL, NULL);

-- Job 7 was the last written; 5 and 6 were pruned since.
INSERT INTO outbox (id, conversation_id, site, provider, job, attempts, not_before, last_error, state, created_at,
    started, dedupe_key)
VALUES
    (1, 'c-ended', 'demo', 'zendesk_support', '{"close":{}}', 1, 0, NULL, 'done', 4001, 0, NULL),
    (2, 'c-waiting', 'demo', 'intercom', '{"open":{}}', 2, 0, '503', 'pending', 2002, 1, NULL),
    (3, 'c-waiting', 'demo', 'intercom', '{"forward":{}}', 0, 0, NULL, 'pending', 2003, 0, 'forward:m-2'),
    (4, 'c-ended', 'demo', 'zendesk_support', '{"forward":{}}', 3, 0, '400', 'failed', 4002, 0, NULL),
    (7, 'c-bot', 'demo', 'zendesk_chat', '{"open":{}}', 0, 0, NULL, 'pending', 1003, 0, NULL);
DELETE FROM sqlite_sequence WHERE name = 'outbox';
INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', 7);

INSERT INTO webhook_events (provider, event_id, first_seen_at, deliveries, site, event, processed_at, position,
    attempts, not_before, last_error, failed_at)
VALUES
    ('intercom', 'n-old', 500, 1, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL),
    ('intercom', 'n-1', 2003, 2, 'demo', '{"event_id":"n-1"}', NULL, 1, 1, 2500, 'unknown conversation', NULL),
    ('zendesk_support', 'n-2', 4003, 1, 'demo', '{"event_id":"n-2"}', 4004, 2, 0, 0, NULL, NULL),
    ('zendesk_chat', 'n-3', 4005, 1, 'demo', '{"event_id":"n-3"}', NULL, 3, 0, 0, NULL, NULL);

INSERT INTO follow_ups (conversation_id, site, email, summary, created_at) VALUES
    ('c-bot', 'demo', 'bob@example.com', 'Parcel', 1004);

INSERT INTO conversation_leases (conversation_id, holder, node, expires_at, release_requested) VALUES
    ('c-agent', 'n1/1', 'n1', 9999999999999, 0);
