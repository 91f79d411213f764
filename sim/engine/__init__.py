"""The engine: the synthetic city, its network, the decision rule and the Mesa model.

Data flows one way through it: population -> network -> rule -> model (and ``cascade``, the
plain threshold cascade the model extends). Nothing here knows about studies, views or the CLI.
"""
