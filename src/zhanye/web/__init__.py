"""Web shell: app factory, middleware, auth dependencies, templates and static assets."""
