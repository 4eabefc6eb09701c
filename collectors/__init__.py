"""Collectors that feed the backends: the log shipper (``logship``) and the Prometheus file_sd writer."""
