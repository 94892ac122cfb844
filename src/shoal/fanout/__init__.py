"""shoal.fanout (see BRIEF layers)."""
