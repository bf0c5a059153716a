"""Small helpers shared by the search: atomic file writing."""
