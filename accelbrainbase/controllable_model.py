"""The ``ControllableModel`` interface."""
from abc import ABCMeta, abstractmethod


class ControllableModel(metaclass=ABCMeta):
    """Marker base of controllers, which orchestrate several models (GANs, DQN, ...)."""
