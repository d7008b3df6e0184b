"""Prompt files for the LLM engines (loaded with importlib.resources by bot/llm/prompts.py)."""
