"""stancedesk: news articles to checked actors, claims, speakers and stance."""

__version__ = "0.2.0"
