"""Turn a module source into its build outputs: notebooks, public tests and the checksum manifest."""
