"""The ``ControllableModel`` interface."""
from abc import ABCMeta

from accelbrainbase._accessors import ContractAccessors


class ControllableModel(ContractAccessors, metaclass=ABCMeta):
    """Marker base of controllers, which orchestrate several models (GANs, DQN, ...)."""
