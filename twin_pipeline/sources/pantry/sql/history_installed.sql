-- Whether the opt-in history capture (sql/pantry_history) is installed.
SELECT to_regclass('pantry_inventory_history') IS NOT NULL
   AND to_regclass('pantry_history_capture') IS NOT NULL
