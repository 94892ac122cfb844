"""shoal.cache (see BRIEF layers)."""
