"""The shop: five small instrumented services, their replica runtime, fault injection and load."""
