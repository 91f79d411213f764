"""Mesa agent classes: people (Worker, Student, Resident) and organizations (Union, FaithGroup).

People are thin views onto one row of the model's state arrays, so that the vectorized step and
Mesa's tools (``model.agents_by_type``, ``AgentSet.select/agg/groupby``) see the same state.
"""

from strikesim.agents.individuals import Individual, Resident, Student, Worker
from strikesim.agents.organizations import FaithGroup, LaborFederation, Organization, Union

__all__ = [
    "FaithGroup",
    "Individual",
    "LaborFederation",
    "Organization",
    "Resident",
    "Student",
    "Union",
    "Worker",
]
