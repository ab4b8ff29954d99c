"""Challenge packages (one directory each, with a challenge.yaml) and the tooling to
load them, validate them and generate their messy data reproducibly."""
