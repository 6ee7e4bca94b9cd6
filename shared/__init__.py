"""Code both the kiosk and the backend import: API schemas, enums, field validation."""
