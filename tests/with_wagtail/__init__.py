"""A Wagtail site with sessions-live in its admin (docs/recipes.md, "Wagtail")."""
