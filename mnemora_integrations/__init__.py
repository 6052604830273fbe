"""Framework integrations (LangChain, LangGraph, LlamaIndex) over the Mnemora SDK."""
