"""cofacil: a terminal app for the co-facilitator of an in-person therapy group."""

__version__ = "0.1.0"
