"""Domain rules per concern; resources call these, these call store protocols."""
