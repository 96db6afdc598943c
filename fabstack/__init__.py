"""The ground floor: typed settings, service discovery, errors, SQL files and the plant calendar."""
