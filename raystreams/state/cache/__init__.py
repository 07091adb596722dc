"""The record cache (TaskCache / NamedCache) and the caching store layers."""
