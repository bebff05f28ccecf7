"""citebot's front ends: the Discord bot and the console, thin edges over ``retrieval``."""
