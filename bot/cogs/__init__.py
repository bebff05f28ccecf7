"""One cog per feature; each is a thin layer over ``retrieval.Citebot``."""
