"""citebot's retrieval core: documents, chunking, embeddings, index and search.

Nothing here knows about Discord; ``bot/`` and the CLI are thin edges over it.
"""

__version__ = "0.1.0"
