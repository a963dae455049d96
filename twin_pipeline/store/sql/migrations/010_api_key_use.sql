-- When each API key was last used, for the monthly audit of who reads the twin (`twin keys
-- list`). The API writes a key's row at most once a minute, so a busy client costs one small
-- upsert a minute; the key itself is never stored anywhere, only its name.
CREATE TABLE IF NOT EXISTS twin_api_key_use (
    name         varchar(64)  PRIMARY KEY,
    tier         varchar(20)  NOT NULL,
    last_used_at timestamptz  NOT NULL
);
