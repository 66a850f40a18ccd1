"""The stancedesk HTTP server: Label Studio's ML-backend protocol and the correction webhook."""

from plugin.server.app import create_app

__all__ = ["create_app"]
