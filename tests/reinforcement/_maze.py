"""The maze agent of demo/dqn_maze.py."""
from demo.dqn_maze import build_maze_agent, route_length  # noqa: F401
