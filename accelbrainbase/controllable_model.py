"""The ``ControllableModel`` interface."""
from abc import ABCMeta


class ControllableModel(metaclass=ABCMeta):
    """Marker base of controllers, which orchestrate several models (GANs, DQN, ...)."""
