"""The versioned REST API (``/api/v1/``) and the personal access tokens that call it."""
