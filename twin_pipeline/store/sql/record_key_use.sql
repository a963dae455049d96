-- The keys used since the last write (:names, :tiers, :used_at, one element per key): each
-- key's row keeps its newest use.
INSERT INTO twin_api_key_use (name, tier, last_used_at)
SELECT name, tier, used_at
FROM unnest(CAST(:names AS text[]), CAST(:tiers AS text[]), CAST(:used_at AS timestamptz[])) AS u(name, tier, used_at)
ON CONFLICT (name) DO UPDATE
SET tier = EXCLUDED.tier, last_used_at = GREATEST(twin_api_key_use.last_used_at, EXCLUDED.last_used_at)
