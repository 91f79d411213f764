"""Hydra configuration presets (strikesim.conf): the composed config and its groups."""
