"""Automation: sensors, schedules and the conditions that carry new days downstream."""
