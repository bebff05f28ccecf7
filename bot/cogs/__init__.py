"""One cog per feature; each is a thin layer over ``retrieval.Libraries``: questions go to
the scope of where they are asked (``CitebotBot.scope``), changes to one library."""
