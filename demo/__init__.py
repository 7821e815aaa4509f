"""Runnable demonstrations (a package so that tests can import ``demo.gallery.<example>``)."""
