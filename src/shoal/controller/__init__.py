"""shoal.controller (see BRIEF layers)."""
