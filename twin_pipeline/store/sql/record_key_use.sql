-- The keys used since the last write (:names, :tiers, :used_at, :clients, one element per key):
-- each key's row keeps its newest use and the client address it came from.
INSERT INTO twin_api_key_use (name, tier, last_used_at, last_client)
SELECT name, tier, used_at, client
FROM unnest(CAST(:names AS text[]), CAST(:tiers AS text[]), CAST(:used_at AS timestamptz[]),
            CAST(:clients AS text[])) AS u(name, tier, used_at, client)
ON CONFLICT (name) DO UPDATE
SET tier = EXCLUDED.tier,
    last_client = CASE WHEN EXCLUDED.last_used_at >= twin_api_key_use.last_used_at
                       THEN EXCLUDED.last_client ELSE twin_api_key_use.last_client END,
    last_used_at = GREATEST(twin_api_key_use.last_used_at, EXCLUDED.last_used_at)
