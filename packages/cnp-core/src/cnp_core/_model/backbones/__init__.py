"""Backbones that ship with cnp-core."""
