"""Logging set-up shared by the command line and the bot (kept apart so the CLI need not import discord)."""

from __future__ import annotations

import logging


def setup_logging(level: str) -> None:
    numeric = getattr(logging, level, logging.INFO)
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger().setLevel(numeric)  # basicConfig does nothing the second time
    # Some libraries (bm25s) set DEBUG on their own logger; a handler level holds for all.
    for handler in logging.getLogger().handlers:
        handler.setLevel(numeric)
    # Library chatter (faiss CPU features, model loading) is noise at INFO.
    for noisy in ("faiss", "bm25s", "sentence_transformers", "transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
