"""Running workflows: the I/O-free core and its sync and async drivers."""
