-- Identity verification: which of the visitor's values the site signed (HMAC with the site's
-- identity_secret). An unverified email is shown to agents as such and never used to find an
-- existing helpdesk contact. Existing rows were never verified.
ALTER TABLE conversations ADD COLUMN visitor_email_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN visitor_user_id TEXT;
ALTER TABLE conversations ADD COLUMN visitor_user_id_verified INTEGER NOT NULL DEFAULT 0;
