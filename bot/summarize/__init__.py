"""Summary engines: the offline extractive one here; the LLM one in bot.llm."""
