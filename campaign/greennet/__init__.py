def init_app(app):
    """Registered in a later commit."""
