"""The native loopback stack: install, configure, start and stop the real backends."""
