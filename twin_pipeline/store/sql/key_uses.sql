-- When each API key was last used, and from which client address, by name.
SELECT name, tier, last_used_at, last_client FROM twin_api_key_use ORDER BY name
