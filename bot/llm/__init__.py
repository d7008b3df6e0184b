"""The LLM path: any OpenAI-compatible server through the openai client, made safe and cheap.

Start at wiring.py (what is built at start-up), then summary_engine.py and answer_engine.py.
"""
