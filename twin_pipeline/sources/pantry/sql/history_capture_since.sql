-- Since when the opt-in history capture is complete.
SELECT captured_since FROM pantry_history_capture
