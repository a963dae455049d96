-- The client address of each key's last use, beside its time: the monthly audit sees where a
-- key is used from (a partner's phone at home, or somewhere it should not be).
ALTER TABLE twin_api_key_use ADD COLUMN IF NOT EXISTS last_client varchar(64);
