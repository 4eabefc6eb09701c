"""The console's HTTP face: htmx pages and the JSON API under ``/api/v1``, one blueprint per area."""
