-- The topic the triggers placed the conversation in (e.g. "billing dispute"): a tag agents see
-- in the inbox, and the reason an always-human topic was handed over.
ALTER TABLE conversations ADD COLUMN topic TEXT;
