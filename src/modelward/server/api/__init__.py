"""REST API routers, one per lifecycle step; thin: parse, call a service, shape the answer."""
