"""cofacil: a terminal app for the co-facilitator of an in-person therapy group."""

import os

__version__ = "0.1.0"

# No pydantic plugin, whatever else is installed beside cofacil: a plugin sees every value
# validated (every note read from disk), and looking for plugins scans every installed
# package's metadata at each start.
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
