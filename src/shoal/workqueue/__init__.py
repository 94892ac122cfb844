"""shoal.workqueue (see BRIEF layers)."""
