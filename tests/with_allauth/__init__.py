"""A site signing in through django-allauth, with sessions-live (docs/recipes.md)."""
