"""Planning: the CP-SAT (flexible) job-shop model, its checker, dispatch rules and loaders."""
