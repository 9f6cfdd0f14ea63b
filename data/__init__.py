"""Content shipped with cofacil: technique deck, coding schemes, demo group."""
