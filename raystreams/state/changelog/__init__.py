"""Change-logging store layers: every write also becomes one changelog record."""
