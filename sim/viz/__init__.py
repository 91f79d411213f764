"""Views: the run's turnout plot, comparison figures, the animation and the classroom demo.

Views read the engine's state and runs' results; they never import studies or the CLI.
"""
