-- The languages the visitor's widget reads (issue 13), best first, comma-separated language
-- tags; the handover texts are picked by them. Empty: the site's default texts.
ALTER TABLE conversations ADD COLUMN visitor_languages TEXT NOT NULL DEFAULT '';
