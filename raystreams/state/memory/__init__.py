"""In-memory backends: a sorted key-value map, an LRU map, and in-memory segments."""
