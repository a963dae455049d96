-- When each API key was last used, by name.
SELECT name, tier, last_used_at FROM twin_api_key_use ORDER BY name
